package io.metronome.engine;

import io.metronome.domain.Run;
import io.metronome.observe.LogContext;
import io.metronome.observe.Metrics;
import io.metronome.store.RunRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * Finds the runs whose messages were lost (a send that failed after its write, a message gone to the dead-letter
 * queue, a lease that ran out with no message left) and sends those messages again. It reads only the runs the
 * sweep index holds as due, a shard at a time ({@code Query}, never a scan), decides each with {@link Sweep}, and
 * moves the run on in the index with a condition on what it read: only the sweeper whose move succeeded sends,
 * so two sweepers at once send each message once. A send that fails after the move is made again at the run's
 * next visit, a {@code staleAfter} later; a run sent messages visit after visit without changing is looked at less
 * and less often ({@link Sweep}), its count of sends kept on its item by the same move. Bulk jobs that have
 * not moved for {@code staleAfter} are sent their page's message again too ({@link BulkJobs#resendStale}).
 */
public final class Sweeper {
    private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);
    /** Runs per query, and so per batch read. */
    static final int PAGE = 100;
    /** Moves refused because the run changed meanwhile: each refusal brings the run as it is, to decide again. */
    private static final int MOVE_TRIES = 3;

    private final RunRepository runs;
    private final Dispatcher dispatcher;
    private final SweepSettings settings;
    private final Clock clock;
    private final IntSupplier firstShard;
    /** The bulk jobs whose lost messages a sweep sends again; null: none. */
    private final BulkJobs bulkJobs;

    /** A sweep starts at a random shard, so one cut short does not always leave the same shards for later. */
    private static final IntSupplier RANDOM_SHARD = () -> ThreadLocalRandom.current().nextInt(RunRepository.sweepShards().size());

    public Sweeper(RunRepository runs, Dispatcher dispatcher, SweepSettings settings, Clock clock) {
        this(runs, dispatcher, settings, clock, RANDOM_SHARD, null);
    }

    public Sweeper(RunRepository runs, Dispatcher dispatcher, SweepSettings settings, Clock clock, BulkJobs bulkJobs) {
        this(runs, dispatcher, settings, clock, RANDOM_SHARD, bulkJobs);
    }

    /** @param firstShard where a sweep starts (tests make two sweepers meet on the same runs) */
    Sweeper(RunRepository runs, Dispatcher dispatcher, SweepSettings settings, Clock clock, IntSupplier firstShard) {
        this(runs, dispatcher, settings, clock, firstShard, null);
    }

    private Sweeper(RunRepository runs, Dispatcher dispatcher, SweepSettings settings, Clock clock, IntSupplier firstShard,
                    BulkJobs bulkJobs) {
        this.bulkJobs = bulkJobs;
        this.runs = runs;
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.clock = clock;
        this.firstShard = firstShard;
    }

    /**
     * @param runsExamined runs the index held as due
     * @param runsRedispatched of them, runs that were sent messages
     * @param sendFailures runs whose messages could not be sent (they are visited again, as if the send had been made)
     * @param runsLeftIndex runs that ended and left the index
     * @param finished whether every shard was swept (else the rest is swept at the next tick)
     * @param bulkJobsResent bulk jobs that had not moved for {@code staleAfter}, sent their page's message again
     */
    public record Summary(int runsExamined, int runsRedispatched, int messagesSent, int sendFailures, int runsLeftIndex,
                          boolean finished, int bulkJobsResent) {
        public Map<String, Object> asMap() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("runsExamined", runsExamined);
            m.put("runsRedispatched", runsRedispatched);
            m.put("messagesSent", messagesSent);
            m.put("sendFailures", sendFailures);
            m.put("runsLeftIndex", runsLeftIndex);
            m.put("finished", finished);
            m.put("bulkJobsResent", bulkJobsResent);
            return m;
        }
    }

    /**
     * One sweep over every shard, starting at a random one (so a sweep cut short does not always leave the same
     * shards for later).
     *
     * @param more asked before each page; false once the invocation's time is nearly up: the rest is left, still due
     */
    public Summary sweep(BooleanSupplier more) {
        Instant now = clock.instant();
        List<String> shards = RunRepository.sweepShards();
        int first = firstShard.getAsInt();
        Tally tally = new Tally();
        if (bulkJobs != null) {
            try {
                tally.bulkJobsResent = bulkJobs.resendStale(settings.staleAfter()); // a few calls: before the runs' pages
            } catch (RuntimeException e) {
                // The bulk jobs' safety net failing (throttled, refused) must not keep the runs' from working.
                LOG.warn("could not look for stalled bulk jobs this sweep; the next one will", e);
                tally.sendFailures++;
            }
        }
        for (int i = 0; i < shards.size(); i++) {
            String shard = shards.get((first + i) % shards.size());
            Map<String, AttributeValue> start = null;
            do {
                if (!more.getAsBoolean()) {
                    return tally.summary(false);
                }
                RunRepository.DuePage page = runs.sweepDue(shard, now, PAGE, start);
                page.runs().forEach(due -> visit(due, now, tally));
                start = page.lastKey();
            } while (start != null);
        }
        return tally.summary(true);
    }

    /** One run's visit, its log lines (and its metric) carrying the run as fields. */
    private void visit(RunRepository.Due due, Instant now, Tally tally) {
        LogContext.put(LogContext.RUN_ID, due.run().id());
        LogContext.put(LogContext.METRONOME_ID, due.run().metronomeId());
        try {
            decideAndSend(due, now, tally);
        } finally {
            LogContext.put(LogContext.RUN_ID, null);
            LogContext.put(LogContext.METRONOME_ID, null);
        }
    }

    private void decideAndSend(RunRepository.Due due, Instant now, Tally tally) {
        tally.examined++;
        for (int i = 0; i < MOVE_TRIES && due != null; i++) {
            Run run = due.run();
            Sweep sweep = Sweep.decide(run, due.resent(), now, settings);
            RunRepository.SweepMove move = runs.moveSweep(run.id(), due.sweepAt(), run.rev(), sweep.next(), sweep.resent());
            if (!move.moved()) {
                due = move.changed(); // null: another sweeper (or a resume, a decision) moved it first
                continue;
            }
            if (sweep.leavesIndex()) {
                tally.left++;
            }
            if (!sweep.messages().isEmpty()) {
                send(run, sweep, tally);
            }
            return;
        }
    }

    private void send(Run run, Sweep sweep, Tally tally) {
        List<NodeMessage> messages = sweep.messages();
        String what = messages.stream().map(m -> m.nodeId() == null ? m.kind().name() : m.nodeId())
                .collect(Collectors.joining(", "));
        try {
            dispatcher.send(messages);
            tally.redispatched++;
            tally.sent += messages.size();
            Metrics.runRedispatched();
            LOG.warn("run {} ({}) was stranded and is sent again: {} ({} times in a row; looked at again at {})",
                    run.id(), run.status().wire(), what, sweep.resent().times(), sweep.next());
        } catch (RuntimeException e) {
            tally.sendFailures++;
            LOG.warn("run {} could not be sent {} (again at its next visit)", run.id(), what, e);
        }
    }

    private static final class Tally {
        int examined;
        int redispatched;
        int sent;
        int sendFailures;
        int left;
        int bulkJobsResent;

        Summary summary(boolean finished) {
            return new Summary(examined, redispatched, sent, sendFailures, left, finished, bulkJobsResent);
        }
    }
}
