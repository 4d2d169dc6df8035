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

/** When a follower has had a run's last event, from the run item and the follower's position alone. */
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
        assertThat(StreamEnd.ended(run(RunStatus.RUNNING, 9, false, false), at(9, 0), true, false, SOON)).isFalse();
        assertThat(StreamEnd.ended(run(RunStatus.PAUSED, 9, false, false), at(9, 9), true, false,
                SOON.plus(StreamEnd.GRACE))).as("paused is not the end, however long").isFalse();
        Run failedWithANodeRunning = run(RunStatus.FAILED, 9, false, true);
        assertThat(StreamEnd.settled(failedWithANodeRunning)).isFalse();
        assertThat(StreamEnd.ended(failedWithANodeRunning, at(9, 0), true, false, SOON.plus(StreamEnd.GRACE)))
                .as("its outcome is still to be recorded").isFalse();
    }

    @Test
    void aSettledRunHasEndedForAFollowerHoldingItsLastWriteInFull() {
        Run completed = run(RunStatus.COMPLETED, 9, false, false);
        assertThat(StreamEnd.ended(completed, at(9, 2), true, false, SOON)).as("handed workflow.completed").isTrue();
        assertThat(StreamEnd.ended(completed, at(9, 2), true, true, SOON)).as("but more is there").isFalse();
        assertThat(StreamEnd.ended(completed, at(9, 0), false, false, SOON))
                .as("an event of the last write, more of which may still be on its way").isFalse();
        assertThat(StreamEnd.ended(completed, at(8, 3), true, false, SOON)).as("an earlier write").isFalse();
        assertThat(StreamEnd.ended(completed, at(9, EventCursor.MAX_INDEX), false, false, SOON))
                .as("past the whole revision, as the timeline gives it").isTrue();
        assertThat(StreamEnd.ended(completed, null, false, false, SOON)).as("nothing handed yet").isFalse();

        Run cancelledAndClosed = run(RunStatus.CANCELLED, 12, true, false);
        assertThat(StreamEnd.ended(cancelledAndClosed, at(11, 4), true, false, SOON))
                .as("workflow.cancelled, then the closing write, which makes no event").isTrue();
        assertThat(StreamEnd.ended(cancelledAndClosed, at(10, 4), true, false, SOON)).isFalse();
    }

    @Test
    void aSettledRunHasEndedForEveryFollowerOnceItsGraceIsOver() {
        Run failed = run(RunStatus.FAILED, 9, true, false);
        assertThat(StreamEnd.graceEnds(failed)).isEqualTo(CHANGED.plus(StreamEnd.GRACE));
        assertThat(StreamEnd.ended(failed, null, false, false, StreamEnd.graceEnds(failed).minusMillis(1))).isFalse();
        assertThat(StreamEnd.ended(failed, null, false, false, StreamEnd.graceEnds(failed))).isTrue();
        assertThat(StreamEnd.ended(failed, at(3, 0), false, true, StreamEnd.graceEnds(failed)))
                .as("never while the log has more for the follower").isFalse();
    }

    @Test
    void theEventAtAPositionIsWorthLookingUpOnlyWhenItCouldBeTheLastWritesEnd() {
        Run completed = run(RunStatus.COMPLETED, 9, false, false);
        assertThat(StreamEnd.mayHoldTheLastWrite(completed, at(9, 1))).isTrue();
        assertThat(StreamEnd.mayHoldTheLastWrite(completed, at(8, 1))).isFalse();
        assertThat(StreamEnd.mayHoldTheLastWrite(completed, at(9, EventCursor.MAX_INDEX))).as("known already").isFalse();
        assertThat(StreamEnd.mayHoldTheLastWrite(completed, null)).isFalse();
        assertThat(StreamEnd.mayHoldTheLastWrite(run(RunStatus.RUNNING, 9, false, false), at(9, 1))).isFalse();
    }

    @Test
    void aWritesEndingEventsAreTheRunsOwnAndALateStepMaySettleIt() {
        RunEvent completed = event(RunEvent.Type.WORKFLOW_COMPLETED, false);
        assertThat(StreamEnd.closesItsWrite(completed)).isTrue();
        assertThat(StreamEnd.closesItsWrite(event(RunEvent.Type.STEP_COMPLETED, true))).isFalse();
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
