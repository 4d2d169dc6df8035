package io.metronome.engine;

import io.metronome.domain.ApiException;
import io.metronome.domain.EventCursor;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.store.RunEventLog;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What a follower of a run's events gets in one request: the events after its cursor, at most {@code limit}; when
 * there are none yet, a wait of at most {@code wait} for the first, reading the log on {@link PollSchedule#FOLLOW};
 * and whether the run's stream has ended ({@link StreamEnd}). The run is the caller's or a 404, as for every read
 * of a run. An HTTP API in front of a Lambda function cannot stream a response, so a follower asks again from
 * where this left it.
 */
public final class RunEventFeed {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = RunEventLog.MAX_PAGE;
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(20);
    /** API Gateway ends an integration at 30 s: the wait, the reads around it and the answer fit well within. */
    public static final Duration MAX_WAIT = Duration.ofSeconds(25);

    /** How the feed waits until an instant: the thread sleeps, deployed; a test moves its clock instead. */
    public interface Pause {
        void until(Instant instant) throws InterruptedException;
    }

    /**
     * @param next where to go on from: the last event handed, else the cursor asked with (null: from the start)
     * @param more the log has more after the events handed: ask again at once
     * @param polls the times the log was read for events after the cursor (one or two queries each)
     */
    public record Feed(Run run, List<RunEvent> events, EventCursor next, boolean more, boolean ended, int polls) {
    }

    private final RunService runs;
    private final RunEventLog log;
    private final PollSchedule schedule;
    private final Clock clock;
    private final Pause pause;

    public RunEventFeed(RunService runs, RunEventLog log, PollSchedule schedule, Clock clock, Pause pause) {
        this.runs = runs;
        this.log = log;
        this.schedule = schedule;
        this.clock = clock;
        this.pause = pause;
    }

    /** The log's completeness mark, which only a settled run has: read before the events it vouches for. */
    private Long markedThrough(Run run) {
        return StreamEnd.settled(run) ? log.settledThrough(run.id()) : null;
    }

    /** Waiting by sleeping, on this clock. */
    public static Pause sleeping(Clock clock) {
        return instant -> {
            long ms = Duration.between(clock.instant(), instant).toMillis();
            if (ms > 0) {
                Thread.sleep(ms);
            }
        };
    }

    /**
     * @param after the follower's position (null: from the run's first event)
     * @param limit null for {@link #DEFAULT_LIMIT}
     * @param waitSeconds null for {@link #DEFAULT_WAIT}; 0 answers at once
     */
    public Feed follow(String userId, String metronomeId, String runId, EventCursor after, Integer limit,
                       Integer waitSeconds) {
        int pageSize = limit == null ? DEFAULT_LIMIT : limit;
        if (pageSize < 1 || pageSize > MAX_LIMIT) {
            throw ApiException.validation("limit", "must be an integer from 1 to " + MAX_LIMIT);
        }
        Duration wait = waitSeconds == null ? DEFAULT_WAIT : Duration.ofSeconds(waitSeconds);
        if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
            throw ApiException.validation("wait", "must be a number of seconds from 0 to " + MAX_WAIT.toSeconds());
        }
        Run run = runs.owned(userId, metronomeId, runId);
        Instant start = clock.instant();

        int polls = 1;
        Long marked = markedThrough(run);
        RunEventLog.Page page = log.readable(runId, after, pageSize);
        for (Duration offset : schedule.offsets(wait)) {
            // Nothing yet, or only what lies past a hole (an earlier event not readable yet): wait on.
            if (!page.events().isEmpty() || StreamEnd.ended(run, marked, page.more(), clock.instant())) {
                break;
            }
            Instant next = start.plus(offset);
            try {
                pause.until(next);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            polls++;
            marked = markedThrough(run);
            page = log.readable(runId, after, pageSize);
        }

        List<RunEvent> events = page.events();
        EventCursor position = page.last(after);
        if (!events.isEmpty() && !page.more() && !StreamEnd.settled(run)
                && StreamEnd.maySettle(events.get(events.size() - 1))) {
            // It may have just ended: say so now rather than on the next request, if the log is marked through
            // its last write and holds nothing after what is handed.
            Run now = runs.owned(userId, metronomeId, runId);
            Long mark = markedThrough(now);
            RunEventLog.Page rest = StreamEnd.ended(now, mark, false, clock.instant()) ? log.readable(runId, position, 1) : null;
            if (rest != null && rest.events().isEmpty() && !rest.more()) {
                run = now;
                marked = mark;
            }
        }
        boolean ended = StreamEnd.ended(run, marked, page.more(), clock.instant());
        // Ask again at once for a page that was full; not for a hole that outlasted the wait.
        return new Feed(run, events, position, page.more() && !events.isEmpty(), ended, polls);
    }
}
