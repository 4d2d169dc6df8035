package io.metronome.engine;

import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.metronome.engine.RefusedClaim.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Every case of what a refused claim leads to, without storage or a queue. */
class RefusedClaimTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private static Run run(RunStatus status, Instant deadline, NodeState... nodes) {
        Map<String, NodeState> frontier = new LinkedHashMap<>();
        for (NodeState n : nodes) {
            frontier.put(n.nodeId(), n);
        }
        return new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, status, null, null, null, null, NOW,
                null, null, null, 0, 3, 0, null, null, null, NOW, NOW, null, deadline, 1, frontier,
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), 0, 0, 0), null, false, false);
    }

    private static NodeState pending(int attempt) {
        return NodeState.pending("n", attempt, NOW, null);
    }

    private static NodeState running(Instant leaseUntil) {
        return pending(1).to(Phase.RUNNING).lease("w", leaseUntil).startedAt(NOW).build();
    }

    private static NodeState waiting(Instant due) {
        return running(NOW.plusSeconds(60)).to(Phase.WAITING).dueAt(due).lease(null, null).build();
    }

    private static RefusedClaim decide(Run run, int attempt, boolean isDelay) {
        return RefusedClaim.decide(run, "n", attempt, isDelay, NOW);
    }

    @Test
    void noRunNoNodeOrAnOverdueRun() {
        assertThat(decide(null, 1, false)).isEqualTo(DROP);
        assertThat(decide(run(RunStatus.RUNNING, null), 1, false)).as("final, off the run item").isEqualTo(REPLAY);
        assertThat(decide(run(RunStatus.RUNNING, NOW, pending(1)), 1, false)).isEqualTo(TIME_OUT);
        assertThat(decide(run(RunStatus.CANCELLED, NOW.minusSeconds(1), pending(1)), 1, false))
                .as("an ended run does not time out").isEqualTo(CANCEL_LEFTOVERS);
    }

    @Test
    void aQueuedRunIsStartedFirst() {
        assertThat(decide(run(RunStatus.QUEUED, null, pending(1)), 1, false)).isEqualTo(START_AND_RETRY);
        assertThat(decide(run(RunStatus.QUEUED, null, pending(1).to(Phase.PAUSED).build()), 1, false))
                .isEqualTo(START_AND_CLAIM_PARKED);
    }

    @Test
    void aPendingNodeByTheRunsStatusAndTheMessagesAttempt() {
        assertThat(decide(run(RunStatus.RUNNING, null, pending(2)), 1, false)).as("a stale message of attempt 1")
                .isEqualTo(RESEND_RETRY);
        assertThat(decide(run(RunStatus.CANCELLED, null, pending(2)), 1, false)).isEqualTo(DROP);
        assertThat(decide(run(RunStatus.RUNNING, null, pending(1)), 2, false)).as("a message from the future").isEqualTo(DROP);
        assertThat(decide(run(RunStatus.PAUSED, null, pending(1)), 1, false)).isEqualTo(PARK);
        assertThat(decide(run(RunStatus.CANCELLED, null, pending(1)), 1, false)).isEqualTo(CANCEL_LEFTOVERS);
        assertThat(decide(run(RunStatus.RUNNING, null, pending(1)), 1, false)).isEqualTo(TRY_AGAIN);
    }

    @Test
    void aScheduledPauseDueRefusesANewNodeAndIsTakenFirst() {
        Run.Schedule at = new Run.Schedule(NOW, null, "quiet", "u", NOW.minusSeconds(60));
        Run due = run(RunStatus.RUNNING, null, pending(1));
        due = due.withPause(new Run.Pause(null, 0, null, at));
        assertThat(decide(due, 1, false)).isEqualTo(TAKE_SCHEDULED_PAUSE);
        Run ahead = due.withPause(new Run.Pause(null, 0, null, new Run.Schedule(NOW.plusMillis(1), null, null, "u", NOW)));
        assertThat(decide(ahead, 1, false)).as("not its time yet").isEqualTo(TRY_AGAIN);
        Run paused = run(RunStatus.PAUSED, null, pending(1)).withPause(new Run.Pause(NOW, 0, null, at));
        assertThat(decide(paused, 1, false)).as("paused already: the node parks").isEqualTo(PARK);
    }

    @Test
    void aRunningNodeIsTakenOverOnlyOnceItsLeaseIsOver() {
        assertThat(decide(run(RunStatus.RUNNING, null, running(NOW)), 1, false)).isEqualTo(TAKE_OVER);
        assertThat(decide(run(RunStatus.RUNNING, null, running(NOW.plusMillis(1))), 1, false)).isEqualTo(WAIT_FOR_LEASE);
    }

    @Test
    void aWaitingNodeByTheRunsStatusItsDeadlineAndWhatItWaitsOn() {
        assertThat(decide(run(RunStatus.PAUSED, null, waiting(NOW)), 1, true)).isEqualTo(PARK);
        assertThat(decide(run(RunStatus.CANCELLED, null, waiting(NOW)), 1, true)).isEqualTo(STOP_AND_CANCEL);
        assertThat(decide(run(RunStatus.RUNNING, null, waiting(NOW.plusMillis(1))), 1, true)).isEqualTo(WAIT_UNTIL_DUE);
        assertThat(decide(run(RunStatus.RUNNING, null, waiting(NOW)), 1, true)).isEqualTo(COMPLETE_DELAY);
        assertThat(decide(run(RunStatus.WAITING_APPROVAL, null, waiting(NOW)), 1, false)).isEqualTo(CHECK_WORK);
    }

    @Test
    void parkedDecidedMappingAndCompletedNodes() {
        NodeState parked = pending(1).to(Phase.PAUSED).build();
        assertThat(decide(run(RunStatus.RUNNING, null, parked), 1, false)).isEqualTo(CLAIM_PARKED);
        assertThat(decide(run(RunStatus.PAUSED, null, parked), 1, false)).isEqualTo(DROP);
        NodeState decided = pending(1).to(Phase.RUNNING).build().to(Phase.WAITING_APPROVAL).build().to(Phase.DECIDED).build();
        assertThat(decide(run(RunStatus.RUNNING, null, decided), 1, false)).isEqualTo(APPLY_DECISION);
        assertThat(decide(run(RunStatus.PAUSED, null, decided), 1, false)).isEqualTo(PARK);
        assertThat(decide(run(RunStatus.CANCELLED, null, decided), 1, false)).isEqualTo(DROP);
        NodeState mapping = running(NOW.plusSeconds(9)).to(Phase.MAPPING).build();
        assertThat(decide(run(RunStatus.RUNNING, null, mapping), 1, false)).isEqualTo(TEND_MAP);
        NodeState handingOff = running(NOW.plusSeconds(9)).to(Phase.COMPLETED).progress(io.metronome.domain.Json.object()).build();
        assertThat(decide(run(RunStatus.RUNNING, null, handingOff), 1, false)).isEqualTo(FINISH_HAND_OFF);
        assertThat(decide(run(RunStatus.RUNNING, null, NodeState.joining("n", io.metronome.domain.Json.object())), 1, false))
                .isEqualTo(DROP);
    }
}
