package io.metronome.engine;

import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.metronome.testing.Harness.assertConsistent;
import static io.metronome.testing.Harness.lastStatusByNode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/** Each node type run end to end on the DynamoDB emulator and ElasticMQ. */
class NodeTypesTest {
    private final Harness h = new Harness();

    @Test
    void transformComputesItsOutputFromTheRunInputAndEarlierNodes() {
        Metronome m = h.metronome("""
                {"nodes": [
                  {"id": "double", "type": "transform", "config": {"expression": "input.n * 2"}},
                  {"id": "describe", "type": "transform", "config": {"expression": "{'result': nodes.double + 1, 'run': run.id}"}}
                 ],
                 "edges": [{"from": "double", "to": "describe"}]}""");
        Run run = h.start(m, "{\"input\": {\"n\": 20}}");

        Run done = h.awaitStatus(run, RunStatus.COMPLETED);

        assertThat(done.output().get("result").asInt()).isEqualTo(41);
        assertThat(done.output().get("run").asText()).isEqualTo(run.id());
        var t = h.timeline(done);
        assertThat(t.steps()).extracting(Step::nodeId).containsExactly("double", "describe");
        assertThat(t.steps()).allMatch(s -> s.status() == StepStatus.COMPLETED && s.attempt() == 1);
        assertThat(t.auditEvents()).extracting(e -> e.action())
                .containsExactly("run.created", "run.started", "run.completed");
        assertThat(t.triggerEvent().triggerType()).isEqualTo("manual");
        assertThat(t.triggerEvent().status()).isEqualTo("matched");
        assertThat(t.triggerEvent().runId()).isEqualTo(run.id());
        assertConsistent(t);
    }

    @Test
    void succeedEndsTheRunWithItsOutputAndFailEndsItWithItsError() {
        Metronome ok = h.metronome("""
                {"nodes": [{"id": "s", "type": "succeed", "config": {"output": "{'ok': input.x}"}}], "edges": []}""");
        Metronome bad = h.metronome("""
                {"nodes": [{"id": "f", "type": "fail", "config": {"error": "inventory is empty"}}], "edges": []}""");

        Run completed = h.awaitStatus(h.start(ok, "{\"input\": {\"x\": 7}}"), RunStatus.COMPLETED);
        Run failed = h.awaitStatus(h.start(bad, "{}"), RunStatus.FAILED);

        assertThat(completed.output().get("ok").asInt()).isEqualTo(7);
        assertThat(failed.error()).isEqualTo("inventory is empty");
        assertThat(lastStatusByNode(h.timeline(failed))).containsExactly(entry("f", StepStatus.FAILED));
        assertConsistent(h.timeline(completed));
        assertConsistent(h.timeline(failed));
    }

    @Test
    void httpNodeCallsTheEndpointAndKeepsStatusHeadersAndBody() {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {
                        "method": "POST", "url": "%s",
                        "headers": {"X-Order": "{{ input.order }}"},
                        "body": "{'order': input.order}"}}],
                     "edges": []}""".formatted(endpoint.url("/orders/{{ input.order }}")));

            Run done = h.awaitStatus(h.start(m, "{\"input\": {\"order\": \"o-1\"}}"), RunStatus.COMPLETED);

            assertThat(done.output().get("status").asInt()).isEqualTo(200);
            assertThat(done.output().get("body").get("path").asText()).isEqualTo("/orders/o-1");
            assertThat(done.output().get("headers").get("content-type").asText()).contains("json");
            assertThat(endpoint.bodies()).containsExactly("{\"order\":\"o-1\"}");
            assertThat(endpoint.idempotencyKeys()).containsExactly(done.id() + "/call/1");
        }
    }

    @Test
    void delayWaitsWithoutAWorkerAndCompletesAtItsDeadline() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 1.5}},
                           {"id": "after", "type": "transform", "config": {"expression": "'done'"}}],
                 "edges": [{"from": "wait", "to": "after"}]}""");

        Run done = h.awaitStatus(h.start(m, "{}"), RunStatus.COMPLETED);

        Step wait = h.timeline(done).steps().get(0);
        assertThat(wait.nodeId()).isEqualTo("wait");
        assertThat(wait.completedAt()).isAfterOrEqualTo(wait.startedAt().plusMillis(1500));
        assertThat(wait.metadata().get("dueAt").asText()).as("the deadline stays on the step")
                .isEqualTo(io.metronome.domain.Times.format(wait.startedAt().plusMillis(1500)));
        assertThat(wait.output().get("waitedUntil").asText())
                .isEqualTo(io.metronome.domain.Times.format(wait.startedAt().plusMillis(1500)));
        assertConsistent(h.timeline(done));
    }

    @Test
    void approvalWaitsForADecisionAndOutputsIt() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "ask", "type": "approval", "config": {"prompt": "Ship it?"}},
                           {"id": "after", "type": "transform", "config": {"expression": "nodes.ask.approved"}}],
                 "edges": [{"from": "ask", "to": "after"}]}""");
        Run run = h.awaitStatus(h.start(m, "{}"), RunStatus.WAITING_APPROVAL);
        assertThat(lastStatusByNode(h.timeline(run))).containsEntry("ask", StepStatus.WAITING_APPROVAL);

        h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(),
                io.metronome.domain.Json.read("{\"approved\": true, \"comment\": \"go\"}"));
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);

        assertThat(done.output().asBoolean()).isTrue();
        var t = h.timeline(done);
        Step ask = t.steps().get(0);
        assertThat(ask.output().get("approved").asBoolean()).isTrue();
        assertThat(ask.output().get("comment").asText()).isEqualTo("go");
        assertThat(ask.output().get("actorUserId").asText()).isEqualTo(Harness.USER);
        assertThat(t.auditEvents()).extracting(e -> e.action()).contains("run.approval_requested", "run.approved");
        assertConsistent(t);
    }

    @Test
    void rejectionFailsTheRunUnlessTheNodeSaysContinue() {
        Metronome strict = h.metronome("""
                {"nodes": [{"id": "ask", "type": "approval", "config": {"prompt": "Ship it?"}},
                           {"id": "ship", "type": "transform", "config": {"expression": "'shipped'"}}],
                 "edges": [{"from": "ask", "to": "ship"}]}""");
        Run run = h.awaitStatus(h.start(strict, "{}"), RunStatus.WAITING_APPROVAL);

        h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(),
                io.metronome.domain.Json.read("{\"approved\": false, \"comment\": \"not today\"}"));
        Run failed = h.awaitStatus(run, RunStatus.FAILED);

        assertThat(failed.error()).contains("rejected by " + Harness.USER).contains("not today");
        assertThat(h.timeline(failed).steps()).extracting(Step::nodeId).containsExactly("ask");
        assertThat(h.timeline(failed).auditEvents()).extracting(e -> e.action()).contains("run.rejected", "run.failed");
        assertConsistent(h.timeline(failed));
    }

    @Test
    void branchFanOutAndJoinRunTheChosenPathsAndRecordEveryDecision() {
        Metronome m = h.metronome("""
                {"nodes": [
                  {"id": "route", "type": "branch", "config": {"branches": [
                      {"id": "small", "label": "Small order", "condition": "input.amount < 100"},
                      {"id": "large", "label": "Large order", "condition": "input.amount >= 100"}]}},
                  {"id": "auto", "type": "transform", "config": {"expression": "'auto-approved'"}},
                  {"id": "review", "type": "transform", "config": {"expression": "'reviewed'"}},
                  {"id": "charge", "type": "transform", "config": {"expression": "'charged ' & $string(input.amount)"}},
                  {"id": "notify", "type": "transform", "config": {"expression": "'notified'"}},
                  {"id": "join", "type": "transform", "config": {"expression": "[nodes.charge, nodes.notify]"}}
                 ],
                 "edges": [
                  {"id": "e-small", "from": "route", "to": "auto", "branchId": "small"},
                  {"id": "e-large", "from": "route", "to": "review", "branchId": "large"},
                  {"from": "auto", "to": "charge"}, {"from": "review", "to": "charge"},
                  {"from": "charge", "to": "notify"}, {"from": "charge", "to": "join"}, {"from": "notify", "to": "join"}
                 ]}""");

        Run done = h.awaitStatus(h.start(m, "{\"input\": {\"amount\": 250}}"), RunStatus.COMPLETED);

        var t = h.timeline(done);
        assertThat(done.output()).hasToString("[\"charged 250\",\"notified\"]");
        Map<String, StepStatus> byNode = lastStatusByNode(t);
        assertThat(byNode).containsEntry("route", StepStatus.COMPLETED).containsEntry("auto", StepStatus.SKIPPED)
                .containsEntry("review", StepStatus.COMPLETED).containsEntry("charge", StepStatus.COMPLETED)
                .containsEntry("notify", StepStatus.COMPLETED).containsEntry("join", StepStatus.COMPLETED);
        assertThat(t.steps()).hasSize(6);
        assertThat(t.summary().branchDecisions()).containsExactly(
                new io.metronome.domain.Run.BranchDecision("route", "small", "Small order", false,
                        "condition input.amount < 100 was false", null),
                new io.metronome.domain.Run.BranchDecision("route", "large", "Large order", true,
                        "condition input.amount >= 100 was true", "e-large"));
        assertConsistent(t);
    }
}
