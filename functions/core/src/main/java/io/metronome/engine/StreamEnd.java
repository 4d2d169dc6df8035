package io.metronome.engine;

import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;

import java.time.Duration;
import java.time.Instant;

/**
 * Whether a follower has had the last event a run will ever have. A run has had its last event once it has ended
 * and nothing of it is active any more (no node is left to finish late and be recorded): it is settled. The
 * stream handler, having written the events of a write that left the run settled, marks the log as complete up
 * to that write's revision ({@code RunEventLog.markSettled}); a follower has had everything once the mark has
 * reached the run item's revision and nothing is left after its position. So the end comes as soon as the log
 * holds the run's last events, however far the stream lags, and never before.
 *
 * <p>The mark is read before the events are: a mark read after them could cover events written in between.
 */
public final class StreamEnd {
    /**
     * A DynamoDB stream keeps records 24 hours: a run settled longer ago has nothing left in the stream to come,
     * whether or not its log was marked (a log the handler gave up on, or written before marks were).
     */
    public static final Duration RETENTION = Duration.ofHours(24);

    private StreamEnd() {
    }

    /** Ended, with nothing active: no write to come will make an event. */
    public static boolean settled(Run run) {
        return run.isTerminal() && run.nodes().isEmpty();
    }

    /**
     * @param markedThrough the revision through which the log is marked complete, read before the log was
     *                      (null: not marked)
     * @param more whether the log has more after what the follower was handed
     */
    public static boolean ended(Run run, Long markedThrough, boolean more, Instant now) {
        if (!settled(run) || more) {
            return false;
        }
        return markedThrough != null && markedThrough >= run.rev() || !now.isBefore(run.updatedAt().plus(RETENTION));
    }

    /** An event after which the run may have settled: worth a look at the run to tell. */
    public static boolean maySettle(RunEvent e) {
        return switch (e.type()) {
            case WORKFLOW_COMPLETED, WORKFLOW_FAILED, WORKFLOW_CANCELLED, STEP_CANCELLED -> true;
            case STEP_COMPLETED, STEP_FAILED -> e.fields().path("runEnded").asBoolean();
            default -> false;
        };
    }
}
