package io.metronome.store;

import io.metronome.domain.NodeState;
import io.metronome.domain.RunStatus;
import io.metronome.domain.RunTransition;
import io.metronome.domain.StepStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;

/** The conditions below are the engine's concurrency design; they are pinned here word for word. */
class RunWriteTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:15:30.123Z");

    private static String resolve(RunWrite w, String expression) {
        String out = expression;
        for (var e : w.names().entrySet().stream().sorted((a, b) -> b.getKey().length() - a.getKey().length()).toList()) {
            out = out.replace(e.getKey(), e.getValue());
        }
        for (var e : w.values().entrySet().stream().sorted((a, b) -> b.getKey().length() - a.getKey().length()).toList()) {
            var v = e.getValue();
            out = out.replace(e.getKey(), v.s() != null ? "'" + v.s() + "'" : v.n() != null ? v.n() : String.valueOf(v));
        }
        return out;
    }

    @Test
    void theWorkersClaimChecksTheRunStatusTheNodeAndTheDeadlineInOneCondition() {
        RunWrite claim = new RunWrite("run_x", NOW)
                .requireStatus(EnumSet.of(RunStatus.RUNNING, RunStatus.WAITING_APPROVAL))
                .requireNodePhase("n1", NodeState.Phase.PENDING)
                .requireNodeAttempt("n1", 2)
                .requireBeforeDeadline(NOW)
                .claimPending("n1", 2, "w1", NOW, NOW.plusSeconds(300));

        assertThat(resolve(claim, claim.conditionExpression())).isEqualTo(
                "status IN ('running', 'waiting_approval') AND nodes.n1.ph = 'PENDING' AND nodes.n1.at = 2 AND "
                        + "(attribute_type(deadlineAt, 'NULL') OR deadlineAt > '2026-11-22T10:15:30.123Z')");
        assertThat(resolve(claim, claim.updateExpression()))
                .contains("nodes.n1.ph = 'RUNNING'", "nodes.n1.lb = 'w1'", "nodes.n1.lu = '2026-11-22T10:20:30.123Z'",
                        "nodes.n1.rv = nodes.n1.rv + 1", "statusCounts.queued = statusCounts.queued + -1",
                        "statusCounts.running = statusCounts.running + 1", "totalAttempts = totalAttempts + 1", "attemptCount = 2",
                        "rev = rev + 1");
    }

    @Test
    void aClaimCanAlsoRequireTheNodeNotABreakpointAndTheRunUnderItsBudget() {
        RunWrite claim = new RunWrite("run_x", NOW).requireNoBreakpoint("n1").requireUnderBudget();
        assertThat(resolve(claim, claim.conditionExpression())).isEqualTo("attribute_not_exists(pauseBefore.n1) AND "
                + "(attribute_not_exists(budgetCt) OR llmInferenceCt < budgetCt)");
        RunWrite set = new RunWrite("run_x", NOW).breakpoints(java.util.List.of("a")).budget(7.5).addPausedMs(1500);
        assertThat(resolve(set, set.updateExpression())).contains("budgetCt = 7.5",
                "pausedMs = if_not_exists(pausedMs, 0) + 1500");
        RunWrite cleared = new RunWrite("run_x", NOW).breakpoints(java.util.List.of()).budget(null);
        assertThat(resolve(cleared, cleared.updateExpression())).contains("REMOVE pauseBefore, budgetCt");
    }

    @Test
    void aClaimWaitsForAScheduledPauseThatIsDueAndASchedulesTimesStandOnTheItem() {
        RunWrite claim = new RunWrite("run_x", NOW).requireBeforeScheduledPause(NOW);
        assertThat(resolve(claim, claim.conditionExpression())).isEqualTo("(attribute_not_exists(pauseAt) OR "
                + "attribute_type(pauseAt, 'NULL') OR pauseAt > '2026-11-22T10:15:30.123Z')");
        RunWrite set = new RunWrite("run_x", NOW).schedule(new io.metronome.domain.Run.Schedule(
                NOW.plusSeconds(60), NOW.plusSeconds(120), "quiet", "u", NOW));
        assertThat(resolve(set, set.updateExpression())).contains("pauseAt = '2026-11-22T10:16:30.123Z'",
                "resumeAt = '2026-11-22T10:17:30.123Z'", "scheduledBy = ");
    }

    @Test
    void controlTransitionsRequireTheReadRevisionAndTheAllowedSourceStates() {
        RunWrite pause = new RunWrite("run_x", NOW).requireRev(7).requireStatus(RunTransition.PAUSE.from())
                .status("met_m", RunStatus.PAUSED);
        assertThat(resolve(pause, pause.conditionExpression()))
                .isEqualTo("rev = 7 AND status IN ('queued', 'running', 'waiting_approval')");
        assertThat(resolve(pause, pause.updateExpression()))
                .contains("status = 'paused'", "metronomeStatus = 'met_m#paused'");
        assertThat(RunTransition.RESUME.from()).containsExactly(RunStatus.PAUSED);
        assertThat(RunTransition.CANCEL.from()).doesNotContainAnyElementsOf(RunStatus.TERMINAL);
        for (RunTransition t : RunTransition.values()) {
            assertThat(t.from()).as(t + " never leaves a terminal state").doesNotContainAnyElementsOf(RunStatus.TERMINAL);
        }
    }

    @Test
    void severalNodeChangesInOneWriteKeepOneCounterClausePerStatus() {
        var a = NodeState.pending("a", 1, NOW, null);
        var b = NodeState.pending("b", 1, NOW, null);
        RunWrite cancel = new RunWrite("run_x", NOW)
                .node(a, a.to(NodeState.Phase.CANCELLED).build())
                .node(b, b.to(NodeState.Phase.CANCELLED).build());
        String update = resolve(cancel, cancel.updateExpression());
        assertThat(update).contains("statusCounts.queued = statusCounts.queued + -2",
                "statusCounts.cancelled = statusCounts.cancelled + 2");
        assertThat(update).doesNotContain("stepCount");
        assertThat(StepStatus.CANCELLED.isFinal()).isTrue();
    }

    @Test
    void aNodeThatBecomesFinalLeavesTheRunItemAndOneStillHandingOffStays() {
        var a = NodeState.pending("a", 1, NOW, null).to(NodeState.Phase.RUNNING).startedAt(NOW).build();
        RunWrite done = new RunWrite("run_x", NOW).requireNodeRev("a", a.rev())
                .node(a, a.to(NodeState.Phase.COMPLETED).completedAt(NOW.plusMillis(40)).build());
        assertThat(resolve(done, done.conditionExpression())).isEqualTo("nodes.a.rv = " + a.rev());
        assertThat(resolve(done, done.updateExpression())).contains("REMOVE nodes.a", "totalDurationMs = totalDurationMs + 40",
                "statusCounts.running = statusCounts.running + -1", "statusCounts.completed = statusCounts.completed + 1");

        RunWrite handingOff = new RunWrite("run_x", NOW).node(a, a.to(NodeState.Phase.COMPLETED)
                .progress(io.metronome.domain.Json.MAPPER.createArrayNode().add(1)).build());
        assertThat(resolve(handingOff, handingOff.updateExpression())).contains("nodes.a = ").doesNotContain("REMOVE nodes");
    }

    @Test
    void theWriteThatEndsAStepSaysHowOnTheItemAndEveryOtherWriteClearsIt() {
        var a = NodeState.pending("a", 1, NOW, null).to(NodeState.Phase.RUNNING).startedAt(NOW).build();
        RunWrite done = new RunWrite("run_x", NOW).node(a, a.to(NodeState.Phase.COMPLETED).completedAt(NOW).build());
        assertThat(resolve(done, done.updateExpression())).contains("ended = ").endsWith("REMOVE nodes.a");
        assertThat(done.values().values()).anySatisfy(v -> assertThat(v.hasM() && v.m().containsKey("a")
                && v.m().get("a").m().get("st").s().equals("completed") && v.m().get("a").m().get("at").n().equals("1"))
                .isTrue());

        var failed = a.to(NodeState.Phase.FAILED).error("x".repeat(1000)).completedAt(NOW).build();
        var retry = a.to(NodeState.Phase.PENDING).attempt(2).stepId("stp_next").startedAt(null).build();
        RunWrite retrying = new RunWrite("run_x", NOW).node(a, retry).closedEarlierStep(a, failed);
        assertThat(resolve(retrying, retrying.updateExpression())).contains("ended = ").doesNotContain("REMOVE");
        assertThat(retrying.values().values()).anySatisfy(v -> assertThat(v.hasM() && v.m().containsKey("a")
                && v.m().get("a").m().get("st").s().equals("failed") && v.m().get("a").m().get("at").n().equals("1")
                && v.m().get("a").m().get("err").s().length() == io.metronome.domain.Run.EndedStep.MAX_ERROR_CHARS)
                .isTrue());

        RunWrite claim = new RunWrite("run_x", NOW).claimPending("n1", 1, "w1", NOW, NOW.plusSeconds(300));
        assertThat(resolve(claim, claim.updateExpression())).endsWith("REMOVE ended").doesNotContain("ended =");
    }

    @Test
    void enteringANodeRequiresItAbsentAndAJoinStillWaitingCountsNoStep() {
        var joining = NodeState.joining("j", io.metronome.domain.Json.object().put("a", true));
        RunWrite w = new RunWrite("run_x", NOW).requireNodeAbsent("j").node(null, joining).skipped();
        assertThat(resolve(w, w.conditionExpression())).isEqualTo("attribute_not_exists(nodes.j)");
        String update = resolve(w, w.updateExpression());
        assertThat(update).contains("stepCount = stepCount + 1", "statusCounts.skipped = statusCounts.skipped + 1");
        assertThat(update).doesNotContain("statusCounts.queued");

        RunWrite drop = new RunWrite("run_x", NOW).requireNodeRev("j", 3).removeNode("j");
        assertThat(resolve(drop, drop.conditionExpression())).isEqualTo("nodes.j.rv = 3");
        assertThat(resolve(drop, drop.updateExpression())).endsWith("REMOVE nodes.j, ended").doesNotContain("stepCount");
    }

    @Test
    void aClaimClearsTheRetryItAnnouncesAndClosingARunHappensOnceFromItsRecords() {
        RunWrite claim = new RunWrite("run_x", NOW).claimPending("n1", 2, "w1", NOW, NOW.plusSeconds(300));
        assertThat(claim.updateExpression()).contains(claim.names().entrySet().stream()
                .filter(e -> e.getValue().equals("nextAttemptAt")).findFirst().orElseThrow().getKey());

        var step = new io.metronome.domain.Step("stp_x", "run_x", "met_m", "a", "transform", StepStatus.COMPLETED, 1,
                null, null, null, 40L, null, NOW, NOW, NOW, NOW, 2, null);
        var never = new io.metronome.domain.Step("stp_y", "run_x", "met_m", "b", "transform", StepStatus.CANCELLED, 0,
                null, null, null, null, null, null, NOW, NOW, NOW, 1, null);
        RunWrite close = new RunWrite("run_x", NOW).requireRev(9).closed(java.util.List.of(step, never));
        assertThat(resolve(close, close.conditionExpression())).isEqualTo("rev = 9 AND attribute_not_exists(closed)");
        String update = resolve(close, close.updateExpression());
        assertThat(update).contains("stepCount = 2", "totalAttempts = 1", "totalDurationMs = 40");
        assertThat(close.values().values()).anySatisfy(v -> assertThat(v.hasM() && v.m().get("cancelled").n().equals("1")
                && v.m().get("completed").n().equals("1")).isTrue());
    }

    @Test
    void aFlagIsABooleanAttribute() {
        RunWrite w = new RunWrite("run_x", NOW).flag("pauseSettled", true);
        assertThat(w.values().values()).anySatisfy(v -> assertThat(v.bool()).isTrue());
        assertThat(resolve(w, w.updateExpression())).contains("pauseSettled = ");
    }
}
