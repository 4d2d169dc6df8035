package io.metronome.engine;

import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.NodeState;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.testing.Harness;
import io.metronome.testing.StepFunctionsBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import static io.metronome.testing.Harness.assertConsistent;
import static io.metronome.testing.Harness.lastStatusByNode;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * stepFunction nodes through the real SDK client: against a loopback endpoint speaking Step Functions' protocol
 * by default, and against LocalStack's Step Functions in the localstack profile.
 */
class StepFunctionNodeTest {
    private final StepFunctionsBackend sfn = StepFunctionsBackend.forTests();
    private final Harness h = new Harness(Duration.ofSeconds(5), Clock.systemUTC(),
            Map.of("AWS_ENDPOINT_URL_SFN", sfn.endpoint()));

    @AfterEach
    void stop() {
        sfn.close();
    }

    private Metronome flow(String machine, String retry) {
        return h.metronome("""
                {"nodes": [
                  {"id": "charge", "type": "stepFunction", %s
                   "config": {"stateMachineArn": "%s", "input": "{'order': input.order}", "pollSeconds": 1}},
                  {"id": "after", "type": "transform", "config": {"expression": "nodes.charge.echo.order"}}],
                 "edges": [{"from": "charge", "to": "after"}]}""".formatted(retry, sfn.machine(machine)));
    }

    @Test
    void anExecutionIsStartedOnceWaitedForWithoutAWorkerAndItsOutputCarriedOn() {
        h.pump.duplicateEveryMessage();
        Run run = h.start(flow("ok", ""), "{\"input\": {\"order\": \"o-5\"}}");

        Run done = h.awaitStatus(run, RunStatus.COMPLETED);

        assertThat(done.output().asText()).isEqualTo("o-5");
        assertThat(sfn.executionNames("ok")).as("one execution, however often its message came").hasSize(1)
                .allMatch(n -> n.length() <= 80);
        Step charge = h.timeline(done).steps().get(0);
        assertThat(charge.status()).isEqualTo(StepStatus.COMPLETED);
        assertThat(charge.output().get("done").asBoolean()).isTrue();
        assertThat(charge.metadata().get("executionArn").asText()).contains(":execution:metronome-ok");
        assertConsistent(h.timeline(done));
    }

    @Test
    void aFailedExecutionFailsTheAttemptAndARetryStartsAnotherExecution() {
        Run run = h.start(flow("fail", "\"retry\": {\"maxAttempts\": 2, \"intervalSeconds\": 0.1},"), "{\"input\": {\"order\": \"o-6\"}}");

        Run failed = h.awaitStatus(run, RunStatus.FAILED);

        assertThat(failed.error()).isEqualTo("node charge failed after 2 attempts: Step Functions execution failed: "
                + "States.TaskFailed: the payment service said no");
        assertThat(sfn.executionNames("fail")).hasSize(2);
        assertThat(h.timeline(failed).steps()).extracting(Step::attempt).containsExactly(1, 2);
        assertConsistent(h.timeline(failed));
    }

    @Test
    void aRunPausedThenCancelledStillStopsItsExecution() {
        Run run = h.start(flow("slow", ""), "{\"input\": {\"order\": \"o-8\"}}");
        h.pump.until(() -> h.run(run).node("charge") != null && h.run(run).node("charge").phase() == NodeState.Phase.WAITING,
                Duration.ofSeconds(20), "the node to wait on its execution");
        String arn = h.run(run).node("charge").metadata().get("executionArn").asText();
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), null);
        h.pump.until(() -> h.run(run).node("charge").phase() == NodeState.Phase.PAUSED, Duration.ofSeconds(20),
                "the wake-up to park the node");

        h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), null);
        h.pump.until(() -> sfn.status(arn).equals("ABORTED"), Duration.ofSeconds(20), "the execution to be stopped");

        assertThat(lastStatusByNode(h.timeline(run))).containsEntry("charge", StepStatus.CANCELLED);
    }

    @Test
    void cancellingTheRunStopsTheExecutionItWaitsOn() {
        Run run = h.start(flow("slow", ""), "{\"input\": {\"order\": \"o-7\"}}");
        h.pump.until(() -> h.run(run).node("charge") != null && h.run(run).node("charge").phase() == NodeState.Phase.WAITING,
                Duration.ofSeconds(20), "the node to wait on its execution");
        String arn = h.run(run).node("charge").metadata().get("executionArn").asText();

        h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), Json.read("{\"reason\": \"customer left\"}"));
        h.pump.until(() -> sfn.status(arn).equals("ABORTED"), Duration.ofSeconds(20), "the execution to be stopped");

        assertThat(lastStatusByNode(h.timeline(run))).containsEntry("charge", StepStatus.CANCELLED);
        assertConsistent(h.timeline(run));
    }

    /** Only state machines under the StepFunctionsPrefix, checked in code too (IAM is not enforced locally). */
    @Test
    void aStateMachineOutsideThePrefixIsRefusedWithoutStartingIt() {
        String other = "arn:aws:states:us-east-1:000000000000:stateMachine:someone-elses";
        Metronome m = h.metronome("""
                {"nodes": [{"id": "charge", "type": "stepFunction", "config": {"stateMachineArn": "{{input.arn}}"}}],
                 "edges": []}""");
        for (String arn : java.util.List.of(other, "not-an-arn")) {
            Run failed = h.awaitStatus(h.start(m, "{\"input\": {\"arn\": \"" + arn + "\"}}"), RunStatus.FAILED);
            Step step = h.timeline(failed).steps().get(0);
            assertThat(step.error()).as(arn).containsAnyOf("must start with 'metronome-'", "is not a state machine ARN");
            assertThat(step.attempt()).isEqualTo(1);
        }
    }
}
