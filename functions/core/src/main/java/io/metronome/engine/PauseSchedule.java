package io.metronome.engine;

import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;

import java.time.Duration;
import java.time.Instant;

/**
 * What a run's schedule ({@link Run.Schedule}: a pause at a time, a resume at a time) asks of it at a moment, and
 * which message it waits for. Pure, so every case is tested without storage or a queue
 * ({@code PauseScheduleTest}); {@link RunService#takeSchedule} carries the answer out when the schedule's message
 * comes, and the worker's claim refuses to start a node once a scheduled pause is due ({@code RunWrite
 * .requireBeforeScheduledPause}), so none starts after its time however late the message.
 *
 * <p>A scheduled pause that finds its run paused already (by hand, at a breakpoint) is taken all the same: its
 * resume, if it has one, then ends that pause. A scheduled resume does not override a budget: a run paused at its
 * budget stays paused until someone raises it.
 */
public final class PauseSchedule {
    /** How far ahead a pause or resume may be scheduled: a bound, so that a typo of a year is refused. */
    public static final Duration MAX_AHEAD = Duration.ofDays(366);

    public enum Due {
        /** Nothing is due (no schedule, not its time, an ended run, a resume for a run not paused). */
        NOTHING,
        /** The scheduled pause is due: the run pauses (or, paused already, keeps only the resume). */
        PAUSE,
        /** The scheduled resume is due: the run resumes. */
        RESUME,
        /** The scheduled resume is due, but the run is held at its budget: the resume is dropped, and said so. */
        RESUME_REFUSED_BY_BUDGET
    }

    private PauseSchedule() {
    }

    public static Due due(Run run, Instant now) {
        Run.Schedule s = run.pause().schedule();
        if (s == null || run.isTerminal()) {
            return Due.NOTHING;
        }
        if (s.pauseAt() != null) {
            return s.pauseAt().isAfter(now) ? Due.NOTHING : Due.PAUSE;
        }
        if (s.resumeAt() == null || s.resumeAt().isAfter(now) || run.status() != RunStatus.PAUSED) {
            return Due.NOTHING;
        }
        return heldByBudget(run) ? Due.RESUME_REFUSED_BY_BUDGET : Due.RESUME;
    }

    /** Whether a claim at {@code now} must wait for the run's scheduled pause. */
    public static boolean pauseDue(Run run, Instant now) {
        return due(run, now) == Due.PAUSE && run.status() != RunStatus.PAUSED;
    }

    /** The message the schedule waits for (its pause's, else its resume's once the run is paused), or null. */
    public static NodeMessage message(Run run) {
        Run.Schedule s = run.pause().schedule();
        if (s == null || run.isTerminal()) {
            return null;
        }
        if (s.pauseAt() != null) {
            return NodeMessage.schedule(run.id(), s.pauseAt());
        }
        return s.resumeAt() != null && run.status() == RunStatus.PAUSED ? NodeMessage.schedule(run.id(), s.resumeAt()) : null;
    }

    /** The run is paused at its budget, and its cost has reached it still: no resume but a raised budget goes on. */
    static boolean heldByBudget(Run run) {
        return run.pause().cause() != null && PauseBefore.BUDGET.equals(run.pause().cause().path("reason").asText())
                && PauseBefore.overBudget(run);
    }
}
