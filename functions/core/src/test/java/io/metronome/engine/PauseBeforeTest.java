package io.metronome.engine;

import io.metronome.domain.Definition;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** When a node about to start must wait for its run to pause first: breakpoints and the cost budget. */
class PauseBeforeTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private static Run run(RunStatus status, double costCt, Double budgetCt, String... breakpoints) {
        return new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, status, null, null, null, NOW, NOW,
                null, null, null, 0, 3, 0, null, null, null, NOW, NOW, null, null, 1, Map.of(),
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), costCt, 0, 0), null, false, false)
                .withControls(new Run.Controls(List.of(breakpoints), budgetCt, null));
    }

    private static NodeState pending(String id, int attempt) {
        return NodeState.pending(id, attempt, NOW, null);
    }

    @Test
    void aBreakpointHoldsTheFirstAttemptOnceAndNotItsRetriesOrItsResume() {
        Run r = run(RunStatus.RUNNING, 0, null, "call");
        var cause = PauseBefore.cause(r, pending("call", 1), false);
        assertThat(cause.get("reason").asText()).isEqualTo("breakpoint");
        assertThat(cause.get("nodeId").asText()).isEqualTo("call");
        assertThat(PauseBefore.cause(r, pending("other", 1), false)).isNull();
        assertThat(PauseBefore.cause(r, pending("call", 2), false)).as("a retry is the same reach").isNull();

        NodeState parked = pending("call", 1).to(Phase.PAUSED).metadata(PauseBefore.parkedMetadata(pending("call", 1), cause)).build();
        assertThat(PauseBefore.cause(r, parked, false)).as("the attempt it parked starts on resume").isNull();
        NodeState parkedByUser = pending("call", 1).to(Phase.PAUSED).build();
        assertThat(PauseBefore.cause(r, parkedByUser, false)).as("parked by a user's pause: still held").isNotNull();
        NodeState started = pending("call", 1).to(Phase.RUNNING).startedAt(NOW).build();
        assertThat(PauseBefore.cause(r, started, false)).as("work begun: nothing to pause before").isNull();
        assertThat(PauseBefore.cause(r, pending("call[3]", 1), false)).as("a map's child is not the map").isNull();
    }

    @Test
    void theBudgetHoldsNodesThatCostOnceReached() {
        assertThat(PauseBefore.cause(run(RunStatus.RUNNING, 5.9, 6.0), pending("llm", 1), true)).isNull();
        var cause = PauseBefore.cause(run(RunStatus.RUNNING, 6.0, 6.0), pending("llm", 1), true);
        assertThat(cause.get("reason").asText()).isEqualTo("budget");
        assertThat(cause.get("costCt").asDouble()).isEqualTo(6.0);
        assertThat(cause.get("budgetCt").asDouble()).isEqualTo(6.0);
        assertThat(PauseBefore.cause(run(RunStatus.RUNNING, 9, 6.0), pending("llm", 2), true))
                .as("every attempt of a node that costs").isNotNull();
        assertThat(PauseBefore.cause(run(RunStatus.RUNNING, 9, 6.0), pending("shape", 1), false))
                .as("a node that costs nothing goes on").isNull();
        assertThat(PauseBefore.cause(run(RunStatus.RUNNING, 9, null), pending("llm", 1), true)).isNull();
        assertThat(PauseBefore.overBudget(run(RunStatus.RUNNING, 0, 0.0))).as("a zero budget holds the first").isTrue();
        assertThat(PauseBefore.costs(Definition.NodeType.LLM)).isTrue();
        assertThat(PauseBefore.costs(Definition.NodeType.HTTP)).isFalse();
    }

    @Test
    void aBreakpointPassedStaysPassedWhenTheBudgetThenHoldsTheNode() {
        Run r = run(RunStatus.RUNNING, 9, 6.0, "llm");
        NodeState first = pending("llm", 1);
        var atBreakpoint = PauseBefore.cause(r, first, true);
        assertThat(atBreakpoint.get("reason").asText()).isEqualTo("breakpoint");
        NodeState parked = first.to(Phase.PAUSED).metadata(PauseBefore.parkedMetadata(first, atBreakpoint)).build();
        var atBudget = PauseBefore.cause(r, parked, true);
        assertThat(atBudget.get("reason").asText()).isEqualTo("budget");
        NodeState again = parked.to(Phase.PAUSED).metadata(PauseBefore.parkedMetadata(parked, atBudget)).build();
        assertThat(again.metadata().get("pausedBefore").asText()).isEqualTo("budget");
        Run raised = run(RunStatus.RUNNING, 9, 20.0, "llm");
        assertThat(PauseBefore.cause(raised, again, true)).as("its breakpoint does not fire twice").isNull();
    }

    @Test
    void theRefusedClaimAsksTheSame() {
        Map<String, NodeState> nodes = Map.of("n", pending("n", 1));
        Run atBreakpoint = new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, RunStatus.RUNNING, null, null,
                null, NOW, NOW, null, null, null, 0, 3, 0, null, null, null, NOW, NOW, null, null, 1, nodes,
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), 7, 0, 0), null, false, false);
        assertThat(RefusedClaim.decide(atBreakpoint.withControls(new Run.Controls(List.of("n"), null, null)), "n", 1,
                false, false, NOW)).isEqualTo(RefusedClaim.PAUSE_BEFORE);
        Run overBudget = atBreakpoint.withControls(new Run.Controls(List.of(), 5.0, null));
        assertThat(RefusedClaim.decide(overBudget, "n", 1, false, true, NOW)).isEqualTo(RefusedClaim.PAUSE_BEFORE);
        assertThat(RefusedClaim.decide(overBudget, "n", 1, false, false, NOW)).isEqualTo(RefusedClaim.CLAIM_PAST_BUDGET);
        assertThat(RefusedClaim.decide(atBreakpoint, "n", 1, false, true, NOW)).isEqualTo(RefusedClaim.TRY_AGAIN);
    }
}
