package io.metronome.engine;

import io.metronome.domain.Json;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.metronome.engine.PauseSchedule.Due.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Every case of what a run's schedule asks for, and which message it waits for, without storage or a queue. */
class PauseScheduleTest {
    private static final Instant T = Instant.parse("2026-12-24T22:00:00Z");
    private static final Instant R = T.plusSeconds(8 * 3600);

    private static Run run(RunStatus status, Run.Schedule s) {
        Run r = new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, status, null, null, null, null, T,
                null, null, null, 0, 3, 0, null, null, null, T, T, null, null, 1, Map.of(),
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), 5, 0, 0), null, false, false);
        return r.withPause(new Run.Pause(status == RunStatus.PAUSED ? T : null, 0, null, s));
    }

    private static Run.Schedule window() {
        return new Run.Schedule(T, R, "quiet hours", "user-a", T.minusSeconds(60));
    }

    @Test
    void thePauseIsDueAtItsTimeNotBefore() {
        assertThat(PauseSchedule.due(run(RunStatus.RUNNING, window()), T.minusMillis(1))).isEqualTo(NOTHING);
        assertThat(PauseSchedule.due(run(RunStatus.RUNNING, window()), T)).isEqualTo(PAUSE);
        assertThat(PauseSchedule.due(run(RunStatus.WAITING_APPROVAL, window()), T.plusSeconds(3600))).as("late").isEqualTo(PAUSE);
        assertThat(PauseSchedule.pauseDue(run(RunStatus.RUNNING, window()), T)).isTrue();
        assertThat(PauseSchedule.pauseDue(run(RunStatus.RUNNING, window()), T.minusMillis(1))).isFalse();
    }

    @Test
    void aPauseDueOnARunPausedAlreadyIsTakenButHoldsNoClaim() {
        Run paused = run(RunStatus.PAUSED, window());
        assertThat(PauseSchedule.due(paused, T)).isEqualTo(PAUSE);
        assertThat(PauseSchedule.pauseDue(paused, T)).as("its claims park for the pause it has").isFalse();
    }

    @Test
    void theResumeIsDueOnceThePauseIsTakenAndTheRunIsPaused() {
        Run.Schedule taken = window().pauseTaken();
        assertThat(taken.pauseAt()).isNull();
        assertThat(taken.resumeAt()).isEqualTo(R);
        assertThat(PauseSchedule.due(run(RunStatus.PAUSED, taken), R.minusMillis(1))).isEqualTo(NOTHING);
        assertThat(PauseSchedule.due(run(RunStatus.PAUSED, taken), R)).isEqualTo(RESUME);
        assertThat(PauseSchedule.due(run(RunStatus.RUNNING, taken), R)).as("resumed by hand meanwhile").isEqualTo(NOTHING);
        assertThat(PauseSchedule.due(run(RunStatus.RUNNING, window()), R)).as("the pause comes first").isEqualTo(PAUSE);
    }

    @Test
    void aPauseWithNoResumeLeavesNothingOnceTaken() {
        assertThat(new Run.Schedule(T, null, null, "user-a", T).pauseTaken()).isNull();
    }

    @Test
    void anEndedRunOrNoScheduleAsksNothing() {
        assertThat(PauseSchedule.due(run(RunStatus.CANCELLED, window()), R)).isEqualTo(NOTHING);
        assertThat(PauseSchedule.due(run(RunStatus.RUNNING, null), R)).isEqualTo(NOTHING);
        assertThat(PauseSchedule.message(run(RunStatus.COMPLETED, window()))).isNull();
        assertThat(PauseSchedule.message(run(RunStatus.RUNNING, null))).isNull();
    }

    @Test
    void aScheduledResumeDoesNotOverrideTheBudget() {
        Run atBudget = run(RunStatus.PAUSED, window().pauseTaken()).withControls(new Run.Controls(List.of(), 5.0, null));
        Run held = atBudget.withPause(new Run.Pause(T, 0, Json.object().put("reason", "budget"), window().pauseTaken()));
        assertThat(PauseSchedule.due(held, R)).isEqualTo(RESUME_REFUSED_BY_BUDGET);
        Run raised = held.withControls(new Run.Controls(List.of(), 6.0, null));
        assertThat(PauseSchedule.due(raised, R)).as("a budget raised meanwhile").isEqualTo(RESUME);
    }

    @Test
    void theMessageItWaitsForIsItsPauseThenItsResume() {
        NodeMessage pause = PauseSchedule.message(run(RunStatus.RUNNING, window()));
        assertThat(pause.kind()).isEqualTo(NodeMessage.Kind.SCHEDULE);
        assertThat(pause.notBefore()).isEqualTo(T);
        assertThat(PauseSchedule.message(run(RunStatus.PAUSED, window().pauseTaken())).notBefore()).isEqualTo(R);
        assertThat(PauseSchedule.message(run(RunStatus.RUNNING, window().pauseTaken())))
                .as("a resume left on an active run waits for nothing").isNull();
        assertThat(NodeMessage.fromJson(pause.toJson())).isEqualTo(pause);
        assertThat(Recovery.messagesFor(run(RunStatus.RUNNING, window()))).contains(pause);
    }

    @Test
    void theSweeperSendsALostScheduleMessageOnceOverdue() {
        Run r = run(RunStatus.RUNNING, window());
        SweepSettings settings = SweepSettings.DEFAULTS;
        assertThat(Sweep.decide(r, T.minusSeconds(1), settings).messages()).isEmpty();
        assertThat(Sweep.decide(r, T.minusSeconds(1), settings).next()).isBeforeOrEqualTo(T.plus(settings.grace()));
        assertThat(Sweep.decide(r, T.plus(settings.grace()), settings).messages())
                .contains(NodeMessage.schedule(r.id(), T));
    }
}
