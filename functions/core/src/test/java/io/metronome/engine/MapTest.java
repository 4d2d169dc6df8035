package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.AuditEvent;
import io.metronome.domain.Definition;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.engine.RunService.Timeline;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static io.metronome.testing.Harness.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;

/** The map node on the local emulators: big maps, their concurrency, pause, resume, cancel and failure policy. */
class MapTest {

    private static String map(String items, int maxConcurrency, String iterator, String extra) {
        return """
                {"nodes": [{"id": "fan", "type": "map", "config": {"items": "%s", "maxConcurrency": %d,
                             "iterator": %s %s}},
                           {"id": "after", "type": "transform", "config": {"expression": "nodes.fan.succeeded"}}],
                 "edges": [{"from": "fan", "to": "after"}]}""".formatted(items, maxConcurrency, iterator, extra);
    }

    private static final String DOUBLE = "{\"type\": \"transform\", \"config\": {\"expression\": \"item * 2 + index * 0\"}}";

    /** Several pumps at once, as several workers would take the queue, until the condition holds. */
    private static void pumpInParallel(Harness h, BooleanSupplier done, Duration timeout, String what) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (int i = 0; i < 4; i++) {
                futures.add(pool.submit(() -> h.pump.until(done, timeout, what)));
            }
            for (var f : futures) {
                f.get(timeout.toSeconds() + 30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static int childrenInFlight(Run run, String mapId) {
        return (int) run.nodes().keySet().stream().filter(id -> mapId.equals(Definition.mapOf(id))).count();
    }

    @Test
    void aMapOverTenThousandElementsRunsFiftyAtATimeAndCollectsTheOutputsInOrder() throws Exception {
        Harness h = new Harness();
        Metronome m = h.metronome(map("input.numbers", 50, DOUBLE, ""));
        Run run = h.start(m, "{\"input\": {\"numbers\": " + java.util.stream.IntStream.range(0, 10_000)
                .mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")) + "}}");
        int[] widest = {0};
        h.stack.counter.reset();

        pumpInParallel(h, () -> {
            Run now = h.run(run);
            widest[0] = Math.max(widest[0], childrenInFlight(now, "fan"));
            return now.isTerminal();
        }, Duration.ofMinutes(5), "the map to end");

        Run done = h.run(run);
        System.out.printf("map of 10,000 elements, maxConcurrency 50: %.1f write units per child (refused writes "
                + "included)%n", h.stack.counter.writeUnits() / 10_000);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.output().asInt()).isEqualTo(10_000);
        assertThat(widest[0]).as("children in flight at once").isBetween(1, 50);
        JsonNode mapOutput = h.engine.runData.output(done.id(), "fan");
        assertThat(mapOutput.get("count").asInt()).isEqualTo(10_000);
        assertThat(mapOutput.get("outputs")).hasSize(10_000);
        assertThat(mapOutput.get("outputs").get(9_999).asInt()).isEqualTo(19_998);
        assertThat(mapOutput.get("outputs").get(17).asInt()).isEqualTo(34);

        Timeline t = h.timeline(done, 1000);
        assertThat(t.steps()).hasSize(10_002);
        assertThat(t.steps()).extracting(Step::nodeId).doesNotHaveDuplicates();
        Step fan = t.steps().stream().filter(s -> s.nodeId().equals("fan")).findFirst().orElseThrow();
        assertThat(fan.metadata().get("succeeded").asInt()).as("the map's step counts its children").isEqualTo(10_000);
        assertConsistent(t);
    }

    @Test
    void aPausedMapStartsNoChildUntilResumedAndThePauseIsAuditedOnceWhenItHasTakenHold() throws Exception {
        Harness h = new Harness();
        Metronome m = h.metronome(map("input.numbers", 10, DOUBLE, ""));
        Run run = h.start(m, "{\"input\": {\"numbers\": " + java.util.stream.IntStream.range(0, 400)
                .mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")) + "}}");
        h.pump.until(() -> {
            Run now = h.run(run);
            return now.node("fan") != null && now.node("fan").progress() != null
                    && MapProgress.of(now.node("fan").progress()).succeeded() >= 50;
        }, Duration.ofSeconds(60), "50 children done");

        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), io.metronome.domain.Json.read("{\"reason\": \"hold\"}"));
        h.pump.until(() -> h.run(run).pauseSettled(), Duration.ofSeconds(30), "the pause to take hold");
        MapProgress held = MapProgress.of(h.run(run).node("fan").progress());
        h.pump.runFor(Duration.ofSeconds(2));

        Run paused = h.run(run);
        MapProgress still = MapProgress.of(paused.node("fan").progress());
        assertThat(still.started()).as("no child starts while paused").isEqualTo(held.started());
        assertThat(paused.nodes().values()).as("nothing running while paused")
                .noneMatch(s -> s.phase() == io.metronome.domain.NodeState.Phase.RUNNING);
        var pausedEvents = h.timeline(paused).auditEvents().stream().filter(e -> e.action().equals("run.paused")).toList();
        assertThat(pausedEvents).hasSize(1);
        assertThat(pausedEvents.get(0).payload().get("checkpoints")).isNotEmpty();

        h.engine.runService.resume(run.userId(), run.metronomeId(), run.id(), io.metronome.domain.Json.read("{}"));
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().asInt()).isEqualTo(400);
        assertConsistent(h.timeline(done));
    }

    @Test
    void cancellingAMapRecordsTheChildrenThatNeverStartedAsCancelled() {
        Harness h = new Harness();
        Metronome m = h.metronome(map("input.numbers", 5, DOUBLE, ""));
        Run run = h.start(m, "{\"input\": {\"numbers\": " + java.util.stream.IntStream.range(0, 1200)
                .mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")) + "}}");
        h.pump.until(() -> {
            Run now = h.run(run);
            return now.node("fan") != null && now.node("fan").progress() != null
                    && MapProgress.of(now.node("fan").progress()).succeeded() >= 20;
        }, Duration.ofSeconds(60), "20 children done");

        h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), io.metronome.domain.Json.read("{}"));
        h.pump.until(() -> h.timeline(run, 1000).summary().stepCount() >= 1202 && h.run(run).nodes().isEmpty(),
                Duration.ofSeconds(60), "every child to be recorded");

        Timeline t = h.timeline(run, 1000);
        assertThat(t.run().status()).isEqualTo(RunStatus.CANCELLED);
        Map<String, StepStatus> byChild = t.steps().stream().filter(s -> s.nodeId().startsWith("fan["))
                .collect(Collectors.toMap(Step::nodeId, Step::status));
        assertThat(byChild).as("every element has one step").hasSize(1200);
        assertThat(byChild.get("fan[1199]")).isEqualTo(StepStatus.CANCELLED);
        assertThat(byChild.values().stream().filter(s -> s == StepStatus.COMPLETED).count()).isGreaterThanOrEqualTo(20);
        assertThat(Harness.lastStatusByNode(t)).as("the node after the map, never reached")
                .containsEntry("after", StepStatus.CANCELLED);
        assertConsistent(t);
    }

    @Test
    void aMapFailsWhenMoreChildrenFailThanItToleratesAndCompletesWhenFewerDo() {
        Harness h = new Harness();
        String failOnThrees = "{\"type\": \"transform\", \"config\": {\"expression\": \"item % 3 = 0 ? $error('three') : item\"}}";
        Metronome strict = h.metronome(map("input.numbers", 4, failOnThrees, ", \"toleratedFailureCount\": 2"));
        Metronome lenient = h.metronome(map("input.numbers", 4, failOnThrees, ", \"toleratedFailurePercentage\": 50"));
        String numbers = "{\"input\": {\"numbers\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}}";

        Run failed = h.awaitStatus(h.start(strict, numbers), RunStatus.FAILED);
        Run completed = h.awaitStatus(h.start(lenient, numbers), RunStatus.COMPLETED);

        assertThat(failed.error()).contains("map fan").contains("3 of 10 children failed").contains("2 it tolerates");
        assertThat(completed.output().asInt()).isEqualTo(7);
        JsonNode outputs = h.engine.runData.output(completed.id(), "fan").get("outputs");
        assertThat(outputs.get(2).isNull()).as("a failed child's place is null").isTrue();
        assertThat(outputs.get(3).asInt()).isEqualTo(4);
        assertConsistent(h.timeline(completed));
        assertThat(h.timeline(failed).auditEvents()).extracting(AuditEvent::action).contains("run.failed");
    }
}
