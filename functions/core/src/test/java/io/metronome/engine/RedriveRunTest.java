package io.metronome.engine;

import io.metronome.domain.ApiException;
import io.metronome.domain.AuditEvent;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.store.RunRepository;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import io.metronome.testing.RunItemVersions;
import io.metronome.testing.TestStack;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Redrive and rerun against the emulators with the real SDK. */
class RedriveRunTest {
    /** Three http nodes in a row, the third on {@code third}, and a transform that reads all three. */
    private static String chain(LocalHttpEndpoint first, LocalHttpEndpoint second, LocalHttpEndpoint third) {
        return """
                {"nodes": [{"id": "n1", "type": "http", "config": {"method": "POST", "url": "%s"}},
                           {"id": "n2", "type": "http", "config": {"method": "POST", "url": "%s"}},
                           {"id": "n3", "type": "http", "config": {"method": "POST", "url": "%s"},
                            "retry": {"maxAttempts": 1, "intervalSeconds": 1, "backoffRate": 1}},
                           {"id": "n4", "type": "transform", "config": {"expression": "nodes.n3.status"}}],
                 "edges": [{"from": "n1", "to": "n2"}, {"from": "n2", "to": "n3"}, {"from": "n3", "to": "n4"}]}"""
                .formatted(first.url("/one"), second.url("/two"), third.url("/three"));
    }

    private static List<AuditEvent> audits(Harness h, Run r, String action) {
        return h.timeline(r).auditEvents().stream().filter(e -> e.action().equals(action)).toList();
    }

    private static Run redrive(Harness h, Run r, String body) {
        return h.engine.runService.redrive(r.userId(), r.metronomeId(), r.id(), body == null ? null : Json.read(body));
    }

    /** The run's events as the stream makes them from its item's versions: "type node#attempt". */
    private static List<String> events(RunItemVersions versions, Run run) {
        List<String> out = new ArrayList<>();
        Run before = null;
        for (var image : versions.versions(run.id()).values()) {
            Run after = RunRepository.fromImage(image);
            for (RunEvent e : RunEvents.between(before, after)) {
                String node = e.fields().path("nodeId").asText("");
                out.add(e.type().wire() + (node.isEmpty() ? "" : " " + node + "#" + e.fields().path("attempt").asInt()));
            }
            before = after;
        }
        return out;
    }

    @Test
    void aRunWhoseThirdNodeFailedRedrivesToTheOutputOfARunThatNeverFailedWithoutRunningNodesOneAndTwoAgain() {
        RunItemVersions versions = new RunItemVersions(TestStack.get().plainDynamo, TestStack.get().tables.runs());
        Harness h = Harness.observedBy(versions);
        try (LocalHttpEndpoint one = new LocalHttpEndpoint(); LocalHttpEndpoint two = new LocalHttpEndpoint();
             LocalHttpEndpoint flaky = new LocalHttpEndpoint().answering(hit -> hit == 1 ? 503 : 200);
             LocalHttpEndpoint steady = new LocalHttpEndpoint()) {
            Metronome m = h.metronome(chain(one, two, flaky));
            Run run = h.start(m, "{\"input\": {\"order\": 7}}");
            Run failed = h.awaitStatus(run, RunStatus.FAILED);
            assertThat(failed.error()).contains("n3");
            h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(10), "the failed run to close");
            assertThat(Harness.lastStatusByNode(h.timeline(run))).containsEntry("n1", StepStatus.COMPLETED)
                    .containsEntry("n2", StepStatus.COMPLETED).containsEntry("n3", StepStatus.FAILED)
                    .containsEntry("n4", StepStatus.CANCELLED);
            com.fasterxml.jackson.databind.JsonNode n1 = h.engine.runData.output(run.id(), "n1");
            assertThat(n1).isNotNull();

            Run redriven = redrive(h, run, "{\"reason\": \"upstream is back\"}");
            assertThat(redriven.status()).isEqualTo(RunStatus.RUNNING);
            assertThat(redriven.completedAt()).isNull();
            assertThat(redriven.error()).isNull();
            assertThat(redriven.lineage().redriveCount()).isEqualTo(1);
            assertThat(StreamEnd.settled(redriven)).as("no longer settled: followers go on").isFalse();
            assertThat(redriven.nodes()).containsOnlyKeys("n3");
            assertThat(redriven.node("n3").attempt()).as("attempts start afresh").isEqualTo(1);

            Run done = h.awaitStatus(run, RunStatus.COMPLETED);
            assertThat(one.hits()).as("n1 not run again").isEqualTo(1);
            assertThat(two.hits()).as("n2 not run again").isEqualTo(1);
            assertThat(flaky.hits()).isEqualTo(2);
            assertThat(h.engine.runData.output(run.id(), "n1")).as("n1's output kept").isEqualTo(n1);

            // the same output as a run that never failed
            Metronome clean = h.metronome(chain(new LocalHttpEndpoint(), new LocalHttpEndpoint(), steady));
            Run never = h.awaitStatus(h.start(clean, "{\"input\": {\"order\": 7}}"), RunStatus.COMPLETED);
            assertThat(done.output()).isEqualTo(never.output());
            assertThat(done.output().asInt()).isEqualTo(200);

            // the earlier attempt stays on the timeline; the summary counts every record
            var t = h.timeline(done);
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("n3")).extracting(Step::status, Step::attempt)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(StepStatus.FAILED, 1),
                            org.assertj.core.groups.Tuple.tuple(StepStatus.COMPLETED, 1));
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("n1")).hasSize(1);
            Harness.assertConsistent(t);
            assertThat(audits(h, run, "run.redriven")).singleElement().satisfies(e -> {
                assertThat(e.actorUserId()).isEqualTo(run.userId());
                assertThat(e.payload().get("redriveCount").asInt()).isEqualTo(1);
                assertThat(e.payload().get("reason").asText()).isEqualTo("upstream is back");
                assertThat(e.payload().get("previousStatus").asText()).isEqualTo("failed");
                assertThat(e.payload().get("nodeIds").toString()).isEqualTo("[\"n3\"]");
            });

            // the events: the failure, the redrive, then the node's first attempt again and the completion
            List<String> ev = events(versions, run);
            assertThat(ev).containsSubsequence("step.completed n2#1", "step.failed n3#1", "workflow.failed",
                    "workflow.redriven", "step.started n3#1", "step.completed n3#1", "step.completed n4#1",
                    "workflow.completed");
            assertThat(ev).filteredOn(e -> e.startsWith("step.started n1")).hasSize(1);

            // a completed run is no longer redrivable
            assertThatThrownBy(() -> redrive(h, run, null))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(409));
        }
    }

    /**
     * Runs a test's action once, on the writing thread, at a write of the engine's to the runs table: before a
     * redrive's write ({@link #beforeRedrive}), or after any write once a condition holds ({@link #afterWrite}).
     * Each slot is emptied before its action runs, so the action's own writes pass straight through.
     */
    private static final class RunWriteHook implements software.amazon.awssdk.core.interceptor.ExecutionInterceptor {
        private final String runsTable = TestStack.get().tables.runs();
        final java.util.concurrent.atomic.AtomicReference<Runnable> beforeRedrive = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicReference<java.util.function.BooleanSupplier> afterWrite =
                new java.util.concurrent.atomic.AtomicReference<>();

        @Override
        public void beforeExecution(software.amazon.awssdk.core.interceptor.Context.BeforeExecution context,
                                    software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
            if (context.request() instanceof software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest t
                    && t.transactItems().stream().anyMatch(i -> i.update() != null
                    && runsTable.equals(i.update().tableName())
                    && i.update().expressionAttributeNames().containsValue("redriveCount"))) {
                Runnable action = beforeRedrive.getAndSet(null);
                if (action != null) {
                    action.run();
                }
            }
        }

        @Override
        public void afterExecution(software.amazon.awssdk.core.interceptor.Context.AfterExecution context,
                                   software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
            boolean runWrite = context.request() instanceof software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest u
                    ? runsTable.equals(u.tableName())
                    : context.request() instanceof software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
            java.util.function.BooleanSupplier action = afterWrite.get();
            if (runWrite && action != null && afterWrite.compareAndSet(action, null) && !action.getAsBoolean()) {
                afterWrite.compareAndSet(null, action); // not yet: look again after the next write
            }
        }
    }

    /**
     * Paths off br's default edge: more than two writes hand off (a write's skipped steps are recorded before it,
     * so the second write, the one the cancel beats, has recorded its share all the same).
     */
    private static final int PATHS = 2 * Worker.HAND_OFF_BUDGET + 5;

    /** br chooses x over its default edge to the paths d0, d1, ..., which it skips. */
    private static String wideBranch() {
        StringBuilder nodes = new StringBuilder("""
                {"id": "br", "type": "branch", "config": {"branches": [{"id": "yes", "condition": "true"}]}},
                {"id": "x", "type": "transform", "config": {"expression": "1"}}""");
        StringBuilder edges = new StringBuilder("{\"from\": \"br\", \"to\": \"x\", \"branchId\": \"yes\"}");
        for (int i = 0; i < PATHS; i++) {
            nodes.append(", {\"id\": \"d").append(i).append("\", \"type\": \"transform\", \"config\": {\"expression\": \"1\"}}");
            edges.append(", {\"from\": \"br\", \"to\": \"d").append(i).append("\", \"branchId\": \"default\"}");
        }
        return "{\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}";
    }

    /**
     * A run cancelled between the writes of br's hand-off: the rest is never handed off, so the paths it did not
     * reach are recorded cancelled when the run closes; a redrive then finds br done, not taking them, and
     * skips them (and runs x).
     */
    private static List<String> cancelledInTheMiddleOfAHandOff(Harness h, RunWriteHook hook, Run[] started) {
        Run run = h.start(h.metronome(wideBranch()), "{}");
        started[0] = run;
        hook.afterWrite.set(() -> {
            var br = h.engine.runs.find(run.id()).orElseThrow().node("br");
            if (br == null || br.phase() != io.metronome.domain.NodeState.Phase.COMPLETED || br.progress() == null
                    || br.progress().isEmpty()) {
                return false;
            }
            h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), null);
            return true;
        });
        h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(20), "the cancelled run to close");
        assertThat(hook.afterWrite.get()).as("cancelled in the middle of the hand-off").isNull();
        Map<String, StepStatus> last = Harness.lastStatusByNode(h.timeline(run));
        assertThat(last).containsEntry("br", StepStatus.COMPLETED).containsEntry("x", StepStatus.CANCELLED);
        List<String> unreached = last.entrySet().stream().filter(e -> e.getValue() == StepStatus.CANCELLED
                && !e.getKey().equals("x")).map(Map.Entry::getKey).sorted().toList();
        assertThat(unreached).as("paths the hand-off did not reach").isNotEmpty().hasSizeLessThan(PATHS);
        return unreached;
    }

    /** Every skipped step on the run's timeline, by node, sorted: once a node skipped only once. */
    private static List<String> skippedNodes(Harness h, Run run) {
        return h.timeline(run).steps().stream().filter(s -> s.status() == StepStatus.SKIPPED).map(Step::nodeId)
                .sorted().toList();
    }

    private static List<String> allPaths() {
        return java.util.stream.IntStream.range(0, PATHS).mapToObj(i -> "d" + i).sorted().toList();
    }

    @Test
    void aRedriveWhoseWriteLostARaceRecordsEachNodeItSkipsOnce() {
        RunWriteHook hook = new RunWriteHook();
        io.metronome.testing.MovableClock clock = new io.metronome.testing.MovableClock(java.time.Instant.now());
        Harness h = Harness.observedBy(hook, clock);
        Run[] started = new Run[1];
        List<String> unreached = cancelledInTheMiddleOfAHandOff(h, hook, started);
        Run run = started[0];
        clock.advance(Duration.ofSeconds(1)); // the redrive comes after the end
        hook.beforeRedrive.set(() -> {
            clock.advance(Duration.ofSeconds(1)); // the retry comes later than the try it repeats
            h.engine.runs.update(new io.metronome.store.RunWrite(run.id(), clock.instant()),
                    software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_NEW); // a write in between
        });

        Run redriven = redrive(h, run, null);

        assertThat(hook.beforeRedrive.get()).as("the race was run").isNull();
        assertThat(redriven.lineage().redriveCount()).isEqualTo(1);
        assertThat(redriven.nodes()).containsOnlyKeys("x");
        assertThat(skippedNodes(h, run)).as("each path skipped once, those the redrive skipped too")
                .containsExactlyElementsOf(allPaths());
        var done = h.timeline(h.awaitStatus(run, RunStatus.COMPLETED));
        assertThat(done.steps()).filteredOn(s -> unreached.contains(s.nodeId()))
                .extracting(Step::status).containsOnly(StepStatus.CANCELLED, StepStatus.SKIPPED)
                .hasSize(2 * unreached.size());
        Harness.assertConsistent(done);
    }

    @Test
    void aRedriveRefusedBecauseAnotherRedriveWonLeavesNoSkippedStepOfItsOwn() {
        RunWriteHook hook = new RunWriteHook();
        io.metronome.testing.MovableClock clock = new io.metronome.testing.MovableClock(java.time.Instant.now());
        Harness h = Harness.observedBy(hook, clock);
        Run[] started = new Run[1];
        cancelledInTheMiddleOfAHandOff(h, hook, started);
        Run run = started[0];
        clock.advance(Duration.ofSeconds(1));
        hook.beforeRedrive.set(() -> {
            clock.advance(Duration.ofSeconds(1));
            redrive(h, run, "{\"reason\": \"the other caller\"}");
        });

        assertThatThrownBy(() -> redrive(h, run, null)).as("the loser, on reading the run again")
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(409));

        assertThat(hook.beforeRedrive.get()).as("the race was run").isNull();
        assertThat(skippedNodes(h, run)).containsExactlyElementsOf(allPaths());
        assertThat(audits(h, run, "run.redriven")).singleElement()
                .satisfies(e -> assertThat(e.payload().get("reason").asText()).isEqualTo("the other caller"));
        Harness.assertConsistent(h.timeline(h.awaitStatus(run, RunStatus.COMPLETED)));
    }

    @Test
    void aCancelledRunRedrivesFromTheNodeItWasCancelledAtAndALiveRunOrOnePastItsRedrivesIsA409() {
        Harness h = new Harness(Duration.ofSeconds(2), Clock.systemUTC(), Map.of("MAX_REDRIVES", "1"));
        Metronome m = h.metronome("""
                {"nodes": [{"id": "prep", "type": "transform", "config": {"expression": "input.n"}},
                           {"id": "wait", "type": "delay", "config": {"seconds": 3600}},
                           {"id": "last", "type": "transform", "config": {"expression": "nodes.prep"}}],
                 "edges": [{"from": "prep", "to": "wait"}, {"from": "wait", "to": "last"}]}""");
        Run run = h.start(m, "{\"input\": {\"n\": 5}}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(20), "the delay to start");
        assertThatThrownBy(() -> redrive(h, run, null)).as("a live run")
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(409));
        var service = h.engine.runService;
        service.cancel(run.userId(), run.metronomeId(), run.id(), null);
        h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(10), "the cancelled run to close");

        Run redriven = redrive(h, run, null);
        assertThat(redriven.nodes()).containsOnlyKeys("wait");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(20), "the delay to start again");
        service.cancel(run.userId(), run.metronomeId(), run.id(), null);
        h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(10), "the cancelled run to close again");
        assertThatThrownBy(() -> redrive(h, run, null)).as("past MAX_REDRIVES")
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("MAX_REDRIVES");
                });
        assertThat(audits(h, run, "run.redriven")).hasSize(1);
        assertThat(Harness.lastStatusByNode(h.timeline(run))).containsEntry("prep", StepStatus.COMPLETED)
                .containsEntry("wait", StepStatus.CANCELLED);
        assertThat(h.timeline(run).steps()).filteredOn(s -> s.nodeId().equals("prep")).hasSize(1);
        Harness.assertConsistent(h.timeline(run));
    }

    @Test
    void aRerunIsANewRunOfTheSameVersionLinkedBothWaysWithTheSameOrAReplacedInput() {
        Harness h = new Harness();
        Metronome m = h.metronome("""
                {"nodes": [{"id": "double", "type": "transform", "config": {"expression": "input.n * 2"}}], "edges": []}""");
        Run first = h.awaitStatus(h.start(m, "{\"input\": {\"n\": 4}, \"attachedTicketId\": \"T-1\"}"), RunStatus.COMPLETED);
        // a new version of the metronome: a rerun keeps the first run's
        h.engine.metronomeService.update(m.userId(), m.id(), Json.read("""
                {"name": "test", "definition": {"nodes": [{"id": "double", "type": "transform", "config": {"expression": "input.n * 3"}}],
                 "edges": []}}"""));
        var service = h.engine.runService;

        Run same = service.rerun(first.userId(), first.metronomeId(), first.id(), null).run();
        Run replaced = service.rerun(first.userId(), first.metronomeId(), first.id(),
                Json.read("{\"input\": {\"n\": 10}, \"reason\": \"bigger\"}")).run();

        assertThat(same.id()).isNotEqualTo(first.id());
        assertThat(same.versionId()).isEqualTo(first.versionId());
        assertThat(same.lineage().rerunOf()).isEqualTo(first.id());
        assertThat(same.attachedTicketId()).isEqualTo("T-1");
        assertThat(h.awaitStatus(same, RunStatus.COMPLETED).output().asInt()).isEqualTo(8);
        assertThat(h.awaitStatus(replaced, RunStatus.COMPLETED).output().asInt()).isEqualTo(20);
        assertThat(h.run(replaced).lineage().rerunOf()).isEqualTo(first.id());
        assertThat(audits(h, same, "run.created")).singleElement()
                .satisfies(e -> assertThat(e.payload().get("rerunOf").asText()).isEqualTo(first.id()));
        List<AuditEvent> links = audits(h, first, "run.rerun");
        assertThat(links).extracting(e -> e.payload().get("rerunRunId").asText())
                .containsExactly(same.id(), replaced.id());
        assertThat(links).extracting(AuditEvent::actorUserId).containsOnly(first.userId());
        assertThat(links.get(1).payload().get("reason").asText()).isEqualTo("bigger");
        assertThatThrownBy(() -> service.rerun(first.userId(), first.metronomeId(), first.id(),
                Json.read("{\"inputs\": 1}")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> service.rerun("someone-else", first.metronomeId(), first.id(), null))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
    }
}
