package io.metronome.engine;

import io.metronome.domain.AuditEvent;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.domain.Times;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

import static io.metronome.testing.Harness.assertConsistent;
import static io.metronome.testing.Harness.lastStatusByNode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pause, resume, cancel and approve against runs in every kind of state. */
class ControlTest {
    private final Harness h = new Harness(Duration.ofSeconds(10));

    private Run pause(Run r, String reason) {
        return h.engine.runService.pause(r.userId(), r.metronomeId(), r.id(), Json.read("{\"reason\": \"" + reason + "\"}"));
    }

    private Run resume(Run r) {
        return h.engine.runService.resume(r.userId(), r.metronomeId(), r.id(), null);
    }

    private Run cancel(Run r) {
        return h.engine.runService.cancel(r.userId(), r.metronomeId(), r.id(), Json.read("{\"reason\": \"no longer needed\"}"));
    }

    @Test
    void pauseWhileANodeIsInFlightLetsItFinishAndStartsNothingMoreUntilResumed() throws Exception {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().holdRequests()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"}},
                               {"id": "next", "type": "transform", "config": {"expression": "nodes.call.status"}},
                               {"id": "last", "type": "transform", "config": {"expression": "nodes.next + 1"}}],
                     "edges": [{"from": "call", "to": "next"}, {"from": "next", "to": "last"}]}"""
                    .formatted(endpoint.url("/slow")));
            Run run = h.start(m, "{}");
            // Given the http node is in flight (the worker is blocked inside it, on another thread)
            CompletableFuture<Void> worker = CompletableFuture.runAsync(h.pump::once);
            assertThat(endpoint.awaitFirstRequest(20)).isTrue();

            // When the run is paused, then the node is released and finishes
            Run paused = pause(run, "investigating");
            assertThat(paused.status()).isEqualTo(RunStatus.PAUSED);
            assertThat(paused.activeNodeCount()).as("paused, and still draining: the call is in flight").isEqualTo(1);
            endpoint.release();
            worker.get();
            h.pump.runFor(Duration.ofSeconds(3)); // however long we wait, nothing else starts
            assertThat(h.run(run).activeNodeCount()).as("drained").isZero();

            var t = h.timeline(run);
            assertThat(lastStatusByNode(t)).containsEntry("call", StepStatus.COMPLETED)
                    .containsEntry("next", StepStatus.PAUSED).doesNotContainKey("last");
            assertThat(h.run(run).status()).isEqualTo(RunStatus.PAUSED);
            AuditEvent parked = t.auditEvents().stream().filter(e -> e.action().equals("run.paused")).findFirst().orElseThrow();
            assertThat(parked.payload().get("checkpoint").asText()).isEqualTo("next");
            assertThat(t.auditEvents().stream().filter(e -> e.action().equals("run.pause_requested")).findFirst()
                    .orElseThrow().payload().get("reason").asText()).isEqualTo("investigating");
            assertConsistent(t);

            // Then resume finishes the run, continuing from the parked node
            assertThat(resume(run).status()).isEqualTo(RunStatus.RUNNING);
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);
            assertThat(done.output().asInt()).isEqualTo(201);
            var after = h.timeline(done);
            assertThat(after.steps()).extracting(Step::nodeId).containsExactly("call", "next", "last");
            assertThat(after.steps()).allMatch(s -> s.status() == StepStatus.COMPLETED);
            assertThat(endpoint.hits()).isEqualTo(1);
            assertConsistent(after);
        }
    }

    @Test
    void pauseDuringADelayDoesNotLengthenTheCountdown() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 6}},
                           {"id": "after", "type": "transform", "config": {"expression": "'done'"}}],
                 "edges": [{"from": "wait", "to": "after"}]}""");
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(10), "the delay to start");
        Instant due = h.run(run).node("wait").dueAt();

        // Paused for four of the six seconds; the delay is the checkpoint, audited at once
        pause(run, "quiet hours");
        AuditEvent parked = h.timeline(run).auditEvents().stream().filter(e -> e.action().equals("run.paused"))
                .findFirst().orElseThrow();
        assertThat(parked.payload().get("checkpoint").asText()).isEqualTo("wait");
        h.pump.runFor(Duration.ofSeconds(4));
        resume(run);
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);

        Step wait = h.timeline(done).steps().get(0);
        assertThat(wait.output().get("waitedUntil").asText()).isEqualTo(Times.format(due));
        assertThat(due).isEqualTo(wait.startedAt().plusSeconds(6));
        // A countdown lengthened by the pause would end four seconds after the deadline.
        assertThat(done.completedAt()).isBefore(due.plusSeconds(3));
        assertConsistent(h.timeline(done));
    }

    @Test
    void aDelayWhoseDeadlinePassedDuringThePauseEndsRightAtResume() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 1}},
                           {"id": "after", "type": "transform", "config": {"expression": "'done'"}}],
                 "edges": [{"from": "wait", "to": "after"}]}""");
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(10), "the delay to start");
        pause(run, "hold");
        h.pump.runFor(Duration.ofSeconds(3)); // the wake-up arrives while paused: the delay parks

        assertThat(lastStatusByNode(h.timeline(run))).containsEntry("wait", StepStatus.PAUSED);
        assertThat(h.timeline(run).auditEvents()).filteredOn(e -> e.action().equals("run.paused")).hasSize(1);
        resume(run);
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(lastStatusByNode(h.timeline(done))).containsEntry("wait", StepStatus.COMPLETED)
                .containsEntry("after", StepStatus.COMPLETED);
        assertConsistent(h.timeline(done));
    }

    @Test
    void pauseAndResumeDuringAnApprovalGoBackToWaiting() {
        Metronome m = approvalFlow();
        Run run = h.awaitStatus(h.start(m, "{}"), RunStatus.WAITING_APPROVAL);

        Run paused = pause(run, "lunch");
        assertThat(paused.status()).isEqualTo(RunStatus.PAUSED);
        assertThat(h.timeline(run).auditEvents()).extracting(AuditEvent::action).contains("run.paused");
        assertThatThrownBy(() -> h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(),
                Json.read("{\"approved\": true}"))).hasMessageContaining("paused");

        assertThat(resume(run).status()).isEqualTo(RunStatus.WAITING_APPROVAL);
        h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(), Json.read("{\"approved\": true}"));
        h.awaitStatus(run, RunStatus.COMPLETED);
        assertConsistent(h.timeline(run));
    }

    @Test
    void cancelDuringAnApprovalRecordsTheWaitingStepCancelled() {
        Run run = h.awaitStatus(h.start(approvalFlow(), "{}"), RunStatus.WAITING_APPROVAL);

        Run cancelled = cancel(run);

        assertThat(cancelled.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(cancelled.completedAt()).isNotNull();
        h.pump.runFor(Duration.ofSeconds(2));
        var t = h.timeline(run);
        // The node never reached is recorded cancelled too (API.md: the steps not yet run are recorded cancelled).
        assertThat(lastStatusByNode(t)).containsEntry("ask", StepStatus.CANCELLED).containsEntry("ship", StepStatus.CANCELLED);
        assertThat(t.auditEvents()).extracting(AuditEvent::action)
                .endsWith("run.cancel_requested", "run.cancelled");
        assertConsistent(t);
        // Terminal: cancel and pause leave it unchanged (as the worker left it, once it recorded what was never
        // reached), resume and approve are refused
        long settledRev = h.run(run).rev();
        assertThat(cancel(run).rev()).isEqualTo(settledRev);
        assertThat(pause(run, "x").rev()).isEqualTo(settledRev);
        assertThatThrownBy(() -> resume(run)).hasMessageContaining("cannot be resumed");
    }

    @Test
    void cancelWhileANodeIsInFlightRecordsItsResultAndCancelsWhatWasNext() throws Exception {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().holdRequests()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"}},
                               {"id": "next", "type": "transform", "config": {"expression": "1"}}],
                     "edges": [{"from": "call", "to": "next"}]}""".formatted(endpoint.url("/slow")));
            Run run = h.start(m, "{}");
            CompletableFuture<Void> worker = CompletableFuture.runAsync(h.pump::once);
            assertThat(endpoint.awaitFirstRequest(20)).isTrue();

            cancel(run);
            endpoint.release();
            worker.get();
            h.pump.runFor(Duration.ofSeconds(2));

            var t = h.timeline(run);
            assertThat(h.run(run).status()).isEqualTo(RunStatus.CANCELLED);
            assertThat(lastStatusByNode(t)).containsEntry("call", StepStatus.COMPLETED)
                    .containsEntry("next", StepStatus.CANCELLED);
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("call")).singleElement()
                    .extracting(Step::afterRunEnded).as("its request was made: the user must see it").isEqualTo("cancelled");
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("next")).extracting(Step::afterRunEnded)
                    .containsOnlyNulls();
            assertConsistent(t);
        }
    }

    @Test
    void aPauseDuringARetrysBackoffTakesHoldAtOnceAndTheRetryRunsAfterResume() throws Exception {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().answering(hit -> hit == 1 ? 503 : 200)) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"},
                                "retry": {"maxAttempts": 2, "intervalSeconds": 3, "backoffRate": 1}}], "edges": []}""".formatted(endpoint.url("/flaky")));
            Run run = h.start(m, "{}");
            h.pump.until(() -> h.run(run).node("call") != null && h.run(run).node("call").deferred(),
                    Duration.ofSeconds(20), "the first attempt to fail and the retry to wait");

            Run paused = pause(run, "looking into it");
            assertThat(paused.pauseSettled()).as("nothing in flight: the retry waits out its backoff").isTrue();
            assertThat(paused.activeNodeCount()).isZero();
            var audit = h.timeline(run).auditEvents().stream().filter(e -> e.action().equals("run.paused")).toList();
            assertThat(audit).singleElement().satisfies(e ->
                    assertThat(e.payload().get("checkpoint").asText()).isEqualTo("call"));

            h.pump.runFor(Duration.ofSeconds(5)); // the retry's message comes while paused: the node is parked
            assertThat(endpoint.hits()).as("no attempt while paused").isEqualTo(1);
            assertThat(h.timeline(run).auditEvents()).filteredOn(e -> e.action().equals("run.paused")).hasSize(1);

            resume(run);
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);
            assertThat(endpoint.hits()).isEqualTo(2);
            assertConsistent(h.timeline(done));
        }
    }

    @Test
    void pausingAQueuedRunParksItsFirstNodeAndResumeStartsIt() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "only", "type": "transform", "config": {"expression": "42"}}], "edges": []}""");
        Run run = h.start(m, "{}");
        pause(run, "not yet");
        h.pump.runFor(Duration.ofSeconds(2));
        assertThat(lastStatusByNode(h.timeline(run))).containsEntry("only", StepStatus.PAUSED);

        assertThat(resume(run).status()).isEqualTo(RunStatus.QUEUED);
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().asInt()).isEqualTo(42);
        assertConsistent(h.timeline(done));
    }

    @Test
    void twoApprovalsInParallelBranchesBothWaitAndOneDecisionSettlesBoth() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "start", "type": "transform", "config": {"expression": "1"}},
                           {"id": "legal", "type": "approval", "config": {"prompt": "Legal ok?"}},
                           {"id": "finance", "type": "approval", "config": {"prompt": "Finance ok?"}},
                           {"id": "join", "type": "transform", "config": {"expression": "nodes.legal.approved and nodes.finance.approved"}}],
                 "edges": [{"from": "start", "to": "legal"}, {"from": "start", "to": "finance"},
                           {"from": "legal", "to": "join"}, {"from": "finance", "to": "join"}]}""");
        Run run = h.start(m, "{}");
        h.pump.until(() -> lastStatusByNode(h.timeline(run)).values().stream()
                .filter(s -> s == StepStatus.WAITING_APPROVAL).count() == 2, Duration.ofSeconds(20), "both approvals to wait");
        assertThat(h.run(run).status()).isEqualTo(RunStatus.WAITING_APPROVAL);

        h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(), Json.read("{\"approved\": true}"));

        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().asBoolean()).isTrue();
        assertConsistent(h.timeline(done));
    }

    @Test
    void aRunPausedWhileItsLastNodeRunsCompletesWhenThatNodeFinishes() throws Exception {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().holdRequests()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"}}], "edges": []}"""
                    .formatted(endpoint.url("/last")));
            Run run = h.start(m, "{}");
            CompletableFuture<Void> worker = CompletableFuture.runAsync(h.pump::once);
            assertThat(endpoint.awaitFirstRequest(20)).isTrue();

            pause(run, "too late");
            endpoint.release();
            worker.get();

            // Nothing was left to start: the run is done, not stuck paused with nothing to resume.
            Run done = h.run(run);
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(done.output().get("status").asInt()).isEqualTo(200);
            assertConsistent(h.timeline(done));
        }
    }

    private Metronome approvalFlow() {
        return h.metronome("""
                {"nodes": [{"id": "ask", "type": "approval", "config": {"prompt": "Ship it?"}},
                           {"id": "ship", "type": "transform", "config": {"expression": "'shipped'"}}],
                 "edges": [{"from": "ask", "to": "ship"}]}""");
    }
}
