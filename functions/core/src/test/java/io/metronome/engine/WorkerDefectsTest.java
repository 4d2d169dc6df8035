package io.metronome.engine;

import io.metronome.domain.AuditEvent;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.metronome.testing.Harness.assertConsistent;
import static io.metronome.testing.Harness.lastStatusByNode;
import static org.assertj.core.api.Assertions.assertThat;

/** The defects the storage redesign was asked to fix, each pinned by what a user of the run sees. */
class WorkerDefectsTest {
    private final Harness h = new Harness();

    private List<AuditEvent> paused(Run run) {
        return h.timeline(run).auditEvents().stream().filter(e -> e.action().equals("run.paused")).toList();
    }

    @Test
    void runPausedComesOnceNamingTheParkedNodeAndTheDelayWhenOneBranchParksWhileAnotherWaits() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "start", "type": "transform", "config": {"expression": "1"}},
                           {"id": "long", "type": "delay", "config": {"seconds": 3}},
                           {"id": "short", "type": "delay", "config": {"seconds": 1}},
                           {"id": "then", "type": "transform", "config": {"expression": "2"}},
                           {"id": "join", "type": "transform", "config": {"expression": "nodes.then"}}],
                 "edges": [{"from": "start", "to": "long"}, {"from": "start", "to": "short"},
                           {"from": "short", "to": "then"}, {"from": "long", "to": "join"}, {"from": "then", "to": "join"}]}""");
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).node("then") != null, Duration.ofSeconds(20), "the short branch to reach then");
        assertThat(h.run(run).node("long").phase()).isEqualTo(Phase.WAITING);

        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), Json.read("{\"reason\": \"hold\"}"));
        h.pump.runFor(Duration.ofSeconds(4)); // then parks; long's deadline passes while paused

        assertThat(paused(run)).hasSize(1);
        assertThat(paused(run).get(0).payload().get("checkpoint").asText()).isEqualTo("long");
        assertThat(paused(run).get(0).payload().get("checkpoints")).extracting(n -> n.asText())
                .containsExactly("long", "then");
        h.engine.runService.resume(run.userId(), run.metronomeId(), run.id(), Json.read("{}"));
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(paused(done)).hasSize(1);
        assertConsistent(h.timeline(done));
    }

    @Test
    void aPauseRightAfterAnApproveIsAuditedWhenTheDecidedNodeParksAndResumeAppliesTheDecision() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "ask", "type": "approval", "config": {"prompt": "Ship it?"}},
                           {"id": "ship", "type": "transform", "config": {"expression": "nodes.ask.approved"}}],
                 "edges": [{"from": "ask", "to": "ship"}]}""");
        Run run = h.awaitStatus(h.start(m, "{}"), RunStatus.WAITING_APPROVAL);

        h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(), Json.read("{\"approved\": true}"));
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), Json.read("{}"));
        assertThat(paused(run)).as("the decided node is still to apply its decision").isEmpty();
        h.pump.runFor(Duration.ofSeconds(2));

        assertThat(paused(run)).hasSize(1);
        assertThat(paused(run).get(0).payload().get("checkpoint").asText()).isEqualTo("ask");
        h.engine.runService.resume(run.userId(), run.metronomeId(), run.id(), Json.read("{}"));
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().asBoolean()).isTrue();
    }

    @Test
    void aRetryableFailureThatLandsAfterTheCancelSchedulesNoRetry() throws Exception {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().holdRequests().answering(hit -> 503)) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"},
                                "retry": {"maxAttempts": 3, "intervalSeconds": 1, "backoffRate": 1}},
                               {"id": "next", "type": "transform", "config": {"expression": "1"}}],
                     "edges": [{"from": "call", "to": "next"}]}""".formatted(endpoint.url("/flaky")));
            Run run = h.start(m, "{}");
            CompletableFuture<Void> worker = CompletableFuture.runAsync(h.pump::once);
            assertThat(endpoint.awaitFirstRequest(20)).isTrue();

            h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), Json.read("{}"));
            endpoint.release();
            worker.get();
            h.pump.runFor(Duration.ofSeconds(3));

            Run cancelled = h.run(run);
            assertThat(cancelled.nextAttemptAt()).isNull();
            assertThat(endpoint.hits()).isEqualTo(1);
            var t = h.timeline(run);
            assertThat(t.auditEvents()).extracting(AuditEvent::action).doesNotContain("step.retry_scheduled");
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("call")).extracting(Step::attempt, Step::status)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1, StepStatus.FAILED));
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("call")).extracting(Step::afterRunEnded)
                    .containsExactly("cancelled");
            assertThat(lastStatusByNode(t)).containsEntry("next", StepStatus.CANCELLED);
            assertConsistent(t);
        }
    }

    @Test
    void theLockFieldsClearWhenTheNodeFinishesAndNextAttemptAtClearsWhenTheRetryStarts() throws Exception {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().answering(hit -> hit == 1 ? 503 : 200)) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"},
                                "retry": {"maxAttempts": 2, "intervalSeconds": 1, "backoffRate": 1}}], "edges": []}"""
                    .formatted(endpoint.url("/once-flaky")));
            Run run = h.start(m, "{}");
            h.pump.until(() -> h.run(run).nextAttemptAt() != null, Duration.ofSeconds(20), "the retry to be scheduled");
            h.pump.until(() -> h.run(run).node("call") == null || h.run(run).node("call").phase() == Phase.RUNNING
                    || h.run(run).isTerminal(), Duration.ofSeconds(20), "the retry to start");
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);

            assertThat(done.nextAttemptAt()).as("the retry it announced has run").isNull();
            assertThat(done.lockedAt()).isNull();
            assertThat(done.lockedBy()).isNull();
            assertThat(h.timeline(done).steps()).extracting(Step::attempt, Step::status).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(1, StepStatus.FAILED),
                    org.assertj.core.groups.Tuple.tuple(2, StepStatus.COMPLETED));
        }
    }

    @Test
    void aStepRecordsWhatItRanWithAndKeepsCredentialsOut() throws Exception {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "POST", "url": "%s",
                                "headers": {"Authorization": "Bearer {{ input.token }}", "X-Order": "{{ input.order }}"},
                                "body": "{'order': input.order}"}},
                               {"id": "sum", "type": "transform", "config": {"expression": "input.order + 1"}}],
                     "edges": [{"from": "call", "to": "sum"}]}""".formatted(endpoint.url("/orders/{{ input.order }}")));
            Run done = h.awaitStatus(h.start(m, "{\"input\": {\"order\": 7, \"token\": \"s3cret\"}}"), RunStatus.COMPLETED);

            var steps = h.timeline(done).steps();
            var call = steps.get(0).input();
            assertThat(call.get("url").asText()).endsWith("/orders/7");
            assertThat(call.get("body").get("order").asInt()).isEqualTo(7);
            assertThat(call.get("headers").get("X-Order").asText()).isEqualTo("7");
            assertThat(call.get("headers").get("Authorization").asText()).isEqualTo("[redacted]");
            assertThat(call.toString()).doesNotContain("s3cret");
            assertThat(steps.get(1).input().get("expression").asText()).isEqualTo("input.order + 1");
        }
    }

    @Test
    void cancellingARunWithMoreWaitingNodesThanOneWriteCanCarryCancelsEveryOneAndCountsThemOnce() {
        StringBuilder nodes = new StringBuilder("{\"id\": \"fan\", \"type\": \"transform\", \"config\": {\"expression\": \"1\"}}");
        StringBuilder edges = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            nodes.append(",{\"id\": \"wait").append(i).append("\", \"type\": \"delay\", \"config\": {\"seconds\": 600}}");
            edges.append(i == 0 ? "" : ",").append("{\"from\": \"fan\", \"to\": \"wait").append(i).append("\"}")
                    .append(",{\"from\": \"wait").append(i).append("\", \"to\": \"join\"}");
        }
        nodes.append(",{\"id\": \"join\", \"type\": \"transform\", \"config\": {\"expression\": \"2\"}}");
        Metronome m = h.metronome("{\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}");
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).nodes().values().stream().filter(s -> s.phase() == Phase.WAITING).count() == 60,
                Duration.ofSeconds(30), "all 60 delays to wait");

        Run cancelled = h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), Json.read("{}"));
        assertThat(cancelled.status()).isEqualTo(RunStatus.CANCELLED);
        h.pump.until(() -> h.run(run).closed(), Duration.ofSeconds(30), "the run to be closed");

        var t = h.timeline(run, 25);
        assertThat(t.steps()).hasSize(62);
        assertThat(lastStatusByNode(t)).containsEntry("fan", StepStatus.COMPLETED).containsEntry("wait59", StepStatus.CANCELLED)
                .containsEntry("join", StepStatus.CANCELLED);
        assertThat(t.summary().cancelledStepCount()).isEqualTo(61);
        assertConsistent(t);
    }
}
