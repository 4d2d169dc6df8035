package io.metronome.domain;

import io.metronome.domain.NodeState.Phase;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** How pauses move a frozen delay's due time and an excludePaused run's deadline: instants only. */
class PauseClockTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private static Run run(RunStatus status, Instant deadline, Run.TimeoutPolicy policy, Run.Pause pause) {
        return new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, status, null, null, null, T0, T0,
                null, null, null, 0, 3, 60_000, null, null, null, T0, T0, null, deadline, 1, Map.of(),
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), 0, 0, 0), null, false, false)
                .withControls(new Run.Controls(List.of(), null, policy)).withPause(pause);
    }

    private static NodeState waiting(Instant due, com.fasterxml.jackson.databind.JsonNode meta) {
        return NodeState.pending("wait", 1, T0, null).to(Phase.RUNNING).startedAt(T0).build()
                .to(Phase.WAITING).dueAt(due).metadata(meta).build();
    }

    private static com.fasterxml.jackson.databind.JsonNode frozen(Instant due, long runPausedMs) {
        return Json.object().put("dueAt", Times.format(due)).put("onPause", "freeze").put("runPausedMs", runPausedMs);
    }

    @Test
    void timePausedCountsTheEndedPausesAndTheCurrentOneSoFar() {
        assertThat(PauseClock.pausedMs(Run.Pause.NEVER, T0)).isZero();
        assertThat(PauseClock.pausedMs(new Run.Pause(null, 5_000, null), T0)).isEqualTo(5_000);
        assertThat(PauseClock.pausedMs(new Run.Pause(T0, 5_000, null), T0.plusSeconds(20))).isEqualTo(25_000);
        assertThat(PauseClock.pausedMs(new Run.Pause(T0, 0, null), T0.minusSeconds(1)))
                .as("a clock behind the pause's start counts nothing").isZero();
    }

    @Test
    void aFrozenDelayKeepsItsRemainingTimeThroughAPause() {
        Instant due = T0.plusSeconds(60);
        NodeState wait = waiting(due, frozen(due, 0));
        // paused at 20 s
        Run paused = run(RunStatus.PAUSED, null, Run.TimeoutPolicy.WALL_CLOCK, new Run.Pause(T0.plusSeconds(20), 0, null));
        assertThat(PauseClock.dueAt(paused, wait, T0.plusSeconds(30))).as("the countdown stands still while paused")
                .isEqualTo(T0.plusSeconds(70));
        assertThat(PauseClock.dueAt(paused, wait, T0.plusSeconds(500))).isEqualTo(T0.plusSeconds(540));
        // resumed at 40 s: 20 s paused, 40 s were left
        Run resumed = run(RunStatus.RUNNING, null, Run.TimeoutPolicy.WALL_CLOCK, new Run.Pause(null, 20_000, null));
        assertThat(PauseClock.dueAt(resumed, wait, T0.plusSeconds(40))).isEqualTo(T0.plusSeconds(80));
        assertThat(PauseClock.dueAt(resumed, wait, T0.plusSeconds(79))).isEqualTo(T0.plusSeconds(80));
    }

    @Test
    void onlyPausesAfterTheDueTimeWasSetMoveIt() {
        Instant due = T0.plusSeconds(60);
        // set when the run had already been paused 30 s in earlier pauses: those do not count
        NodeState wait = waiting(due, frozen(due, 30_000));
        Run resumed = run(RunStatus.RUNNING, null, Run.TimeoutPolicy.WALL_CLOCK, new Run.Pause(null, 30_000, null));
        assertThat(PauseClock.dueAt(resumed, wait, T0.plusSeconds(10))).isEqualTo(due);
        Run again = run(RunStatus.RUNNING, null, Run.TimeoutPolicy.WALL_CLOCK, new Run.Pause(null, 45_000, null));
        assertThat(PauseClock.dueAt(again, wait, T0.plusSeconds(10))).isEqualTo(due.plusSeconds(15));
    }

    @Test
    void aKeptDeadlineNeverMoves() {
        Instant due = T0.plusSeconds(60);
        NodeState kept = waiting(due, Json.object().put("dueAt", Times.format(due)));
        Run paused = run(RunStatus.PAUSED, null, Run.TimeoutPolicy.WALL_CLOCK, new Run.Pause(T0.plusSeconds(20), 0, null));
        assertThat(PauseClock.dueAt(paused, kept, T0.plusSeconds(50))).isEqualTo(due);
        assertThat(PauseClock.dueAt(paused, waiting(due, null), T0.plusSeconds(50))).isEqualTo(due);
    }

    @Test
    void anExcludePausedDeadlineMovesOnByEachPauseAndNeverPassesWhilePaused() {
        Instant deadline = T0.plusSeconds(10);
        assertThat(PauseClock.afterPause(deadline, T0.plusSeconds(2), T0.plusSeconds(32))).isEqualTo(T0.plusSeconds(40));
        assertThat(PauseClock.afterPause(deadline, null, T0.plusSeconds(32))).isEqualTo(deadline);
        assertThat(PauseClock.afterPause(null, T0, T0.plusSeconds(1))).isNull();

        Run.Pause pausing = new Run.Pause(T0.plusSeconds(2), 0, null);
        assertThat(PauseClock.timedOut(run(RunStatus.PAUSED, deadline, Run.TimeoutPolicy.EXCLUDE_PAUSED, pausing),
                T0.plusSeconds(30))).isFalse();
        assertThat(PauseClock.timedOut(run(RunStatus.PAUSED, deadline, Run.TimeoutPolicy.WALL_CLOCK, pausing),
                T0.plusSeconds(30))).as("wall clock: the pause counts").isTrue();
        assertThat(PauseClock.timedOut(run(RunStatus.RUNNING, deadline, Run.TimeoutPolicy.EXCLUDE_PAUSED, Run.Pause.NEVER),
                T0.plusSeconds(10))).as("active time still counts").isTrue();
        assertThat(PauseClock.timedOut(run(RunStatus.RUNNING, deadline, Run.TimeoutPolicy.WALL_CLOCK, Run.Pause.NEVER),
                T0.plusSeconds(9))).isFalse();
        assertThat(PauseClock.timedOut(run(RunStatus.COMPLETED, deadline, Run.TimeoutPolicy.WALL_CLOCK, Run.Pause.NEVER),
                T0.plusSeconds(99))).as("an ended run does not time out").isFalse();
        assertThat(PauseClock.timedOut(run(RunStatus.RUNNING, null, Run.TimeoutPolicy.WALL_CLOCK, Run.Pause.NEVER),
                T0.plusSeconds(99))).isFalse();
    }
}
