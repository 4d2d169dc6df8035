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
}
