package io.metronome.engine;

import io.metronome.domain.EventCursor;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** When a follower has had a run's last event: from the run item, the log's completeness mark, and what is left. */
class StreamEndTest {
    private static final Instant CHANGED = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant SOON = CHANGED.plusSeconds(1);

    private static Run run(RunStatus status, long rev, boolean closed, boolean nodeRunning) {
        Map<String, NodeState> nodes = nodeRunning ? Map.of("slow", NodeState.pending("slow", 1, CHANGED, null)
                .to(Phase.RUNNING).lease("w", CHANGED.plusSeconds(60)).startedAt(CHANGED).build()) : Map.of();
        return new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, status, null, null, null, CHANGED,
                CHANGED, null, null, null, 1, 3, 0, null, null, null, CHANGED, CHANGED, null, null, rev, nodes,
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), 0, 0, 0), null, false, closed);
    }

    private static EventCursor at(long rev, int index) {
        return new EventCursor(rev, index);
    }

    @Test
    void aRunThatIsLiveOrHasANodeStillRunningHasNotEnded() {
        assertThat(StreamEnd.ended(run(RunStatus.RUNNING, 9, false, false), 9L, false, SOON)).isFalse();
        assertThat(StreamEnd.ended(run(RunStatus.PAUSED, 9, false, false), 9L, false, SOON.plus(StreamEnd.RETENTION)))
                .as("paused is not the end, however long").isFalse();
        Run failedWithANodeRunning = run(RunStatus.FAILED, 9, false, true);
        assertThat(StreamEnd.settled(failedWithANodeRunning)).isFalse();
        assertThat(StreamEnd.ended(failedWithANodeRunning, 9L, false, SOON.plus(StreamEnd.RETENTION)))
                .as("its outcome is still to be recorded").isFalse();
    }

    @Test
    void aSettledRunHasEndedOnceItsLogIsMarkedCompleteThroughItsRevisionAndNothingIsLeftToHand() {
        Run completed = run(RunStatus.COMPLETED, 9, false, false);
        assertThat(StreamEnd.ended(completed, 9L, false, SOON)).isTrue();
        assertThat(StreamEnd.ended(completed, 9L, true, SOON)).as("but more is there to hand").isFalse();
        assertThat(StreamEnd.ended(completed, 8L, false, SOON)).as("marked through an earlier write").isFalse();
        assertThat(StreamEnd.ended(completed, null, false, SOON)).as("not marked yet").isFalse();
        Run cancelledAndClosed = run(RunStatus.CANCELLED, 12, true, false);
        assertThat(StreamEnd.ended(cancelledAndClosed, 11L, false, SOON))
                .as("the closing write, which makes no event, is still to be marked").isFalse();
        assertThat(StreamEnd.ended(cancelledAndClosed, 12L, false, SOON)).isTrue();
    }

    @Test
    void aSettledRunNeverMarkedHasEndedOnceTheStreamCanHoldNothingMoreOfIt() {
        Run failed = run(RunStatus.FAILED, 9, true, false);
        assertThat(StreamEnd.ended(failed, null, false, CHANGED.plus(StreamEnd.RETENTION).minusMillis(1))).isFalse();
        assertThat(StreamEnd.ended(failed, null, false, CHANGED.plus(StreamEnd.RETENTION))).isTrue();
        assertThat(StreamEnd.ended(failed, null, true, CHANGED.plus(StreamEnd.RETENTION)))
                .as("never while the log has more for the follower").isFalse();
    }

    @Test
    void theRunsEndingEventsAndALateStepMaySettleIt() {
        RunEvent completed = event(RunEvent.Type.WORKFLOW_COMPLETED, false);
        assertThat(StreamEnd.maySettle(completed)).isTrue();
        assertThat(StreamEnd.maySettle(event(RunEvent.Type.STEP_COMPLETED, true))).as("after its run ended").isTrue();
        assertThat(StreamEnd.maySettle(event(RunEvent.Type.STEP_COMPLETED, false))).isFalse();
        assertThat(StreamEnd.maySettle(event(RunEvent.Type.WORKFLOW_PAUSED, false))).isFalse();
    }

    private static RunEvent event(RunEvent.Type type, boolean runEnded) {
        var fields = Json.object();
        if (!type.isWorkflow()) {
            fields.put("nodeId", "a").put("attempt", 1).put("runEnded", runEnded);
        }
        return new RunEvent(at(9, 0), type, "run_x", "met_m", CHANGED, fields);
    }
}
