package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;

/**
 * How a pause moves a run's clocks, as pure functions of instants. A run keeps its time paused
 * ({@link Run.Pause}: the pauses that ended, and since when it is paused now); from that:
 * <ul>
 *   <li>a delay with {@code onPause: "freeze"} keeps its remaining time through a pause: its due time is the one
 *   it last set plus the time the run has been paused since (so it never comes due while paused, and counts down
 *   again from the resume); with {@code "keepDeadline"} (the default) the due time is fixed;</li>
 *   <li>a run whose {@code timeoutPolicy} is {@code excludePaused} has its deadline moved on by each pause's
 *   length when it resumes, and does not time out while paused; under {@code wallClock} (the default) the
 *   deadline is fixed.</li>
 * </ul>
 */
public final class PauseClock {
    /** A delay's policy as its step's metadata names it while it waits. */
    public static final String FREEZE = "freeze";
    public static final String KEEP_DEADLINE = "keepDeadline";

    private PauseClock() {
    }

    /** The run's time paused up to {@code now}: the pauses that ended, and the current one so far. */
    public static long pausedMs(Run.Pause pause, Instant now) {
        long current = pause.since() == null ? 0 : Math.max(0, Duration.between(pause.since(), now).toMillis());
        return pause.pausedMs() + current;
    }

    /** A deadline moved on by the length of a pause that began at {@code pausedAt} and ended at {@code resumedAt}. */
    public static Instant afterPause(Instant deadline, Instant pausedAt, Instant resumedAt) {
        if (deadline == null || pausedAt == null || !resumedAt.isAfter(pausedAt)) {
            return deadline;
        }
        return deadline.plus(Duration.between(pausedAt, resumedAt));
    }

    /**
     * Whether the run's timeout has passed at {@code now}, as its policy counts it: under {@code excludePaused} a
     * paused run has not timed out (its resume moves the deadline on by the pause).
     */
    public static boolean timedOut(Run run, Instant now) {
        if (run.isTerminal() || run.deadlineAt() == null || now.isBefore(run.deadlineAt())) {
            return false;
        }
        return !(run.status() == RunStatus.PAUSED && run.controls().timeoutPolicy() == Run.TimeoutPolicy.EXCLUDE_PAUSED);
    }

    /**
     * A frozen delay's due time: the one it set when the run's time paused was {@code pausedMsThen}, plus what the
     * run has been paused since.
     */
    public static Instant frozenDue(Instant dueAt, long pausedMsThen, long pausedMsNow) {
        return dueAt.plusMillis(Math.max(0, pausedMsNow - pausedMsThen));
    }

    /** When a waiting node is due at {@code now}: a frozen delay's due time moves with the run's pauses. */
    public static Instant dueAt(Run run, NodeState node, Instant now) {
        JsonNode meta = node.metadata();
        if (node.dueAt() == null || meta == null || !FREEZE.equals(meta.path("onPause").asText())) {
            return node.dueAt();
        }
        return frozenDue(node.dueAt(), meta.path("runPausedMs").asLong(0), pausedMs(run.pause(), now));
    }
}
