package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Definition;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.engine.RunService.Timeline;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** A redriven map runs again only the children that did not complete, on the emulators with the real SDK. */
class MapRedriveTest {

    /** A map calling {@code endpoint} once per item at {@code /item/<item>}, then a node that lists the answers' paths. */
    private static String fanOut(LocalHttpEndpoint endpoint, int maxConcurrency, int tolerated) {
        return """
                {"nodes": [{"id": "fan", "type": "map", "config": {"items": "input.items", "maxConcurrency": %d,
                             "toleratedFailureCount": %d,
                             "iterator": {"type": "http", "config": {"method": "POST", "url": "%s"},
                                          "retry": {"maxAttempts": 1, "intervalSeconds": 1, "backoffRate": 1}}}},
                           {"id": "after", "type": "transform", "config": {"expression": "nodes.fan.outputs.body.path"}}],
                 "edges": [{"from": "fan", "to": "after"}]}""".formatted(maxConcurrency, tolerated,
                endpoint.url("/item/{{item}}"));
    }

    private static String items(int n) {
        return "{\"input\": {\"items\": " + IntStream.range(0, n).mapToObj(Integer::toString)
                .collect(Collectors.joining(",", "[", "]")) + "}}";
    }

    private static Run redrive(Harness h, Run r) {
        return h.engine.runService.redrive(r.userId(), r.metronomeId(), r.id(), null);
    }

    /** The map's output without the answers' headers (their Date differs from run to run). */
    private static JsonNode withoutHeaders(JsonNode mapOutput) {
        ObjectNode copy = mapOutput.deepCopy();
        copy.get("outputs").forEach(o -> {
            if (o.isObject()) {
                ((ObjectNode) o).remove("headers");
            }
        });
        return copy;
    }

    private static Map<Integer, List<StepStatus>> childSteps(Timeline t) {
        Map<Integer, List<StepStatus>> out = new TreeMap<>();
        t.steps().stream().filter(s -> "fan".equals(Definition.mapOf(s.nodeId())))
                .forEach(s -> out.computeIfAbsent(Definition.indexOf(s.nodeId()), i -> new java.util.ArrayList<>())
                        .add(s.status()));
        return out;
    }

    @Test
    void aMapWhoseChildrenFailedForThreeItemsRedrivesThemAndTheChildrenItNeverStartedButCallsNoCompletedOneAgain() {
        Harness h = new Harness();
        Set<String> flaky = Set.of("/item/5", "/item/20", "/item/35");
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint()
                .answeringByPath((path, hit) -> flaky.contains(path) && hit == 1 ? 503 : 200);
             LocalHttpEndpoint steady = new LocalHttpEndpoint().answeringByPath((path, hit) -> 200)) {
            Metronome m = h.metronome(fanOut(endpoint, 5, 2));
            h.stack.counter.reset();
            Run run = h.start(m, items(50));
            assertThat(h.awaitStatus(run, RunStatus.FAILED).error()).contains("3 of 50 children failed");
            h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(30), "the failed run to close");

            Timeline first = h.timeline(run, 1000);
            Harness.assertConsistent(first);
            Set<Integer> completedFirst = childSteps(first).entrySet().stream()
                    .filter(e -> e.getValue().contains(StepStatus.COMPLETED)).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            assertThat(childSteps(first)).as("every element has a step").hasSize(50);
            assertThat(completedFirst).doesNotContain(5, 20, 35).hasSizeGreaterThanOrEqualTo(30);
            Map<String, Integer> hitsFirst = endpoint.hitsByPath();
            double firstPassUnits = h.stack.counter.writeUnits();

            h.stack.counter.reset();
            redrive(h, run);
            int[] widest = {0};
            h.pump.until(() -> {
                Run now = h.run(run);
                widest[0] = Math.max(widest[0], (int) now.nodes().keySet().stream()
                        .filter(id -> "fan".equals(Definition.mapOf(id))).count());
                return now.isTerminal();
            }, Duration.ofSeconds(60), "the redriven run to end");

            Run done = h.run(run);
            System.out.printf("map of 50 children: first pass %.0f write units (%d completed); its redrive %.0f "
                            + "(%d run again, %d kept), %s%n", firstPassUnits, completedFirst.size(),
                    h.stack.counter.writeUnits(), 50 - completedFirst.size(), completedFirst.size(),
                    h.stack.counter.byOperation());
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            Map<String, Integer> hits = endpoint.hitsByPath();
            for (int i = 0; i < 50; i++) {
                String path = "/item/" + i;
                int before = hitsFirst.getOrDefault(path, 0);
                assertThat(hits.get(path) - before).as("hits of " + path + " in the redrive")
                        .isEqualTo(completedFirst.contains(i) ? 0 : 1);
            }
            assertThat(hits.values().stream().mapToInt(Integer::intValue).sum() - hitsFirst.values().stream()
                    .mapToInt(Integer::intValue).sum()).as("the redrive calls only what had not completed")
                    .isEqualTo(50 - completedFirst.size());
            assertThat(widest[0]).as("children in flight at once in the redrive").isBetween(1, 5);

            // the same output as a run that never failed, in element order
            Metronome clean = h.metronome(fanOut(steady, 5, 2));
            Run never = h.awaitStatus(h.start(clean, items(50)), RunStatus.COMPLETED);
            assertThat(done.output()).isEqualTo(never.output());
            assertThat(done.output()).hasSize(50);
            assertThat(done.output().get(37).asText()).isEqualTo("/item/37");
            assertThat(withoutHeaders(h.engine.runData.output(run.id(), "fan")))
                    .isEqualTo(withoutHeaders(h.engine.runData.output(never.id(), "fan")));

            // the timeline: a kept child keeps its one completed step; the others show their earlier step, then the new one
            Timeline t = h.timeline(done, 1000);
            Harness.assertConsistent(t);
            childSteps(t).forEach((i, statuses) -> {
                if (completedFirst.contains(i)) {
                    assertThat(statuses).as("fan[" + i + "]").containsExactly(StepStatus.COMPLETED);
                } else {
                    assertThat(statuses).as("fan[" + i + "]").hasSize(2).endsWith(StepStatus.COMPLETED)
                            .first().isIn(StepStatus.FAILED, StepStatus.CANCELLED);
                }
            });
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("fan")).extracting(Step::status)
                    .containsExactly(StepStatus.FAILED, StepStatus.COMPLETED);
            Step fan = t.steps().stream().filter(s -> s.nodeId().equals("fan") && s.status() == StepStatus.COMPLETED)
                    .findFirst().orElseThrow();
            assertThat(MapProgress.of(fan.metadata())).as("the map's step counts the kept children as succeeded")
                    .isEqualTo(new MapProgress(50, 50, 50, 0, completedFirst.size()));
            assertThat(Harness.lastStatusByNode(t)).containsEntry("after", StepStatus.COMPLETED);
        }
    }

    @Test
    void aRedrivenMapThatFailsAgainIsRedrivenAgainToleratingFailuresAfreshAndKeepsWhatCompletedInEitherPass() {
        Harness h = new Harness();
        // item 4 is broken for good, item 9 until the third pass, item 15 until the second; the map tolerates one
        java.util.concurrent.atomic.AtomicInteger pass = new java.util.concurrent.atomic.AtomicInteger(1);
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().answeringByPath((path, hit) ->
                path.equals("/item/4") || path.equals("/item/9") && pass.get() < 3
                        || path.equals("/item/15") && pass.get() < 2 ? 503 : 200);
             LocalHttpEndpoint cleanEndpoint = new LocalHttpEndpoint().answeringByPath((path, hit) ->
                     path.equals("/item/4") ? 503 : 200)) {
            Metronome m = h.metronome(fanOut(endpoint, 3, 1));
            Run run = h.start(m, items(20));
            for (; pass.get() < 3; pass.incrementAndGet()) {
                assertThat(h.awaitStatus(run, RunStatus.FAILED).error()).as("pass " + pass)
                        .contains("2 of 20 children failed");
                h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(30), "the failed run to close");
                Harness.assertConsistent(h.timeline(run, 1000));
                redrive(h, run);
            }
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);

            Map<String, Integer> hits = endpoint.hitsByPath();
            assertThat(hits).hasSize(20);
            hits.forEach((path, n) -> {
                if (!Set.of("/item/4", "/item/9", "/item/15").contains(path)) {
                    assertThat(n).as("a child that completed is never called again: " + path).isEqualTo(1);
                }
            });
            assertThat(hits.get("/item/4")).as("the broken one, once per pass").isEqualTo(3);
            JsonNode fan = h.engine.runData.output(run.id(), "fan");
            assertThat(fan.get("succeeded").asInt()).isEqualTo(19);
            assertThat(fan.get("failed").asInt()).as("only this pass's failures count against the tolerance")
                    .isEqualTo(1);
            assertThat(fan.get("outputs").get(4).isNull()).as("a failed child's place").isTrue();
            Run never = h.awaitStatus(h.start(h.metronome(fanOut(cleanEndpoint, 3, 1)), items(20)), RunStatus.COMPLETED);
            assertThat(done.output()).isEqualTo(never.output());
            assertThat(withoutHeaders(fan)).isEqualTo(withoutHeaders(h.engine.runData.output(never.id(), "fan")));

            Timeline t = h.timeline(done, 1000);
            Harness.assertConsistent(t);
            childSteps(t).forEach((i, statuses) -> {
                if (i != 4) {
                    assertThat(statuses).as("fan[" + i + "]: completed once, and last").endsWith(StepStatus.COMPLETED)
                            .containsOnlyOnce(StepStatus.COMPLETED);
                }
            });
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("fan")).extracting(Step::status)
                    .containsExactly(StepStatus.FAILED, StepStatus.FAILED, StepStatus.COMPLETED);
        }
    }

    @Test
    void aRedrivenMapCancelledBeforeItsWalkReachedTheKeptChildrenLeavesThemCompletedForTheNextRedrive() {
        Harness h = new Harness();
        java.util.concurrent.atomic.AtomicInteger pass = new java.util.concurrent.atomic.AtomicInteger(1);
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().answeringByPath((path, hit) ->
                (path.equals("/item/4") || path.equals("/item/18")) && pass.get() == 1 ? 503 : 200)) {
            Metronome m = h.metronome(fanOut(endpoint, 1, 1)); // one child at a time: the first pass fails at 18
            Run run = h.start(m, items(20));
            h.awaitStatus(run, RunStatus.FAILED);
            h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(30), "the failed run to close");
            pass.set(2);

            // the second pass: the map walks past 0 to 3, starts 4, and is cancelled before 4 runs
            redrive(h, run);
            h.pump.until(() -> h.run(run).node("fan") != null && h.run(run).node("fan").progress() != null,
                    Duration.ofSeconds(30), "the redriven map to start its first child");
            assertThat(MapProgress.of(h.run(run).node("fan").progress())).isEqualTo(new MapProgress(20, 5, 4, 0, 4));
            h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), null);
            h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(30), "the cancelled run to close");
            Timeline cancelled = h.timeline(run, 1000);
            Harness.assertConsistent(cancelled);
            Map<Integer, List<StepStatus>> afterCancel = childSteps(cancelled);
            assertThat(afterCancel.get(10)).as("kept, past where the walk stopped: not recorded as cancelled")
                    .containsExactly(StepStatus.COMPLETED);
            assertThat(afterCancel.get(18)).containsExactly(StepStatus.FAILED, StepStatus.CANCELLED);
            assertThat(afterCancel.get(4)).containsExactly(StepStatus.FAILED, StepStatus.CANCELLED);

            redrive(h, run);
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);
            Map<String, Integer> hits = endpoint.hitsByPath();
            hits.forEach((path, n) -> assertThat(n).as(path)
                    .isEqualTo(path.equals("/item/4") || path.equals("/item/18") ? 2 : 1));
            assertThat(done.output()).hasSize(20);
            assertThat(h.engine.runData.output(run.id(), "fan").get("succeeded").asInt()).isEqualTo(20);
            Timeline t = h.timeline(done, 1000);
            Harness.assertConsistent(t);
            childSteps(t).forEach((i, statuses) -> assertThat(statuses).as("fan[" + i + "]")
                    .endsWith(StepStatus.COMPLETED).containsOnlyOnce(StepStatus.COMPLETED));
        }
    }
}
