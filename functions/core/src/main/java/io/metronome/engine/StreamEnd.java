package io.metronome.engine;

import io.metronome.domain.EventCursor;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;

import java.time.Duration;
import java.time.Instant;

/**
 * Whether a follower has had the last event a run will ever have. A run has had its last event once it has ended
 * and nothing of it is active any more (no node is left to finish late and be recorded). The follower has it
 * when it holds the run item's last write that makes events (the last write, or the one before a closing write,
 * which makes none) in full: it was handed that write's ending event (completed, failed, cancelled, which come
 * last among a write's events), or it holds a position past the whole revision ({@code <rev>.999}, as the
 * timeline gives). Otherwise the log may lag behind the run item (the stream handler writes a write's events
 * shortly after it, and a revision's events become readable one by one): a settled run whose last change is
 * {@link #GRACE} old is taken to have all of its events in the log.
 */
public final class StreamEnd {
    /** Time the run's stream has to bring its last writes' events to the log. */
    public static final Duration GRACE = Duration.ofSeconds(60);

    private StreamEnd() {
    }

    /** Ended, with nothing active: no write to come will make an event. */
    public static boolean settled(Run run) {
        return run.isTerminal() && run.nodes().isEmpty();
    }

    /**
     * @param position where the follower is (null: before the first event)
     * @param closesItsWrite whether the event at {@code position} is known to be the last of its write
     * @param more whether the log has more after {@code position}
     */
    public static boolean ended(Run run, EventCursor position, boolean closesItsWrite, boolean more, Instant now) {
        if (!settled(run) || more) {
            return false;
        }
        return holdsTheLastWrite(run, position, closesItsWrite) || !now.isBefore(graceEnds(run));
    }

    /** Whether it can matter to know if the event at {@code position} is the last of its write. */
    public static boolean mayHoldTheLastWrite(Run run, EventCursor position) {
        return settled(run) && position != null && position.rev() >= lastRevisionWithEvents(run)
                && !holdsTheLastWrite(run, position, false);
    }

    private static boolean holdsTheLastWrite(Run run, EventCursor position, boolean closesItsWrite) {
        if (position == null) {
            return false;
        }
        long last = lastRevisionWithEvents(run);
        return position.rev() > last
                || position.rev() == last && (closesItsWrite || position.index() == EventCursor.MAX_INDEX);
    }

    /** The closing write of a failed or cancelled run comes last and makes no event. */
    private static long lastRevisionWithEvents(Run run) {
        return run.closed() ? run.rev() - 1 : run.rev();
    }

    /** When a settled run's stream is taken to be complete, whatever the follower was handed. */
    public static Instant graceEnds(Run run) {
        return run.updatedAt().plus(GRACE);
    }

    /** A write's ending event: nothing of the write follows it. */
    public static boolean closesItsWrite(RunEvent e) {
        return switch (e.type()) {
            case WORKFLOW_COMPLETED, WORKFLOW_FAILED, WORKFLOW_CANCELLED, WORKFLOW_PAUSED -> true;
            default -> false;
        };
    }

    /** An event after which the run may have settled: worth a look at the run to tell. */
    public static boolean maySettle(RunEvent e) {
        return switch (e.type()) {
            case WORKFLOW_COMPLETED, WORKFLOW_FAILED, WORKFLOW_CANCELLED -> true;
            case STEP_COMPLETED, STEP_FAILED, STEP_CANCELLED -> e.fields().path("runEnded").asBoolean();
            default -> false;
        };
    }
}
