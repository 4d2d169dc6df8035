package io.metronome.observe;

import java.util.List;
import java.util.Locale;

/**
 * Metronome's CloudWatch metrics: their names, units and dimensions (the contract alarms and dashboards are
 * built on: change nothing here without them), and the calls that record them.
 *
 * <p>What an invocation records is kept for its thread and written once, when the invocation ends
 * ({@link Invocation}), as CloudWatch embedded metric format blobs: one flush per invocation, not a line per
 * call. Recording outside an invocation (a test, a tool) keeps the values until the thread's next flush.
 */
public final class Metrics {
    public static final String NAMESPACE = "Metronome";
    public static final String SERVICE = "metronome";

    public static final String SERVICE_DIMENSION = "Service";
    public static final String NODE_TYPE_DIMENSION = "NodeType";
    public static final String OUTCOME_DIMENSION = "Outcome";

    public static final String RUNS_STARTED = "RunsStarted";
    public static final String RUNS_COMPLETED = "RunsCompleted";
    public static final String RUNS_FAILED = "RunsFailed";
    public static final String RUNS_CANCELLED = "RunsCancelled";
    public static final String NODES_EXECUTED = "NodesExecuted";
    public static final String NODE_DURATION = "NodeDuration";
    public static final String CLAIM_CONFLICTS = "ClaimConflicts";
    public static final String RETRIES = "Retries";
    /** Now minus the message's SentTimestamp, when the worker claims its node. */
    public static final String QUEUE_LAG = "QueueLag";
    /** Node messages the worker failed on (batch item failures: retried, then dead-lettered; not Lambda Errors). */
    public static final String MESSAGES_FAILED = "MessagesFailed";
    /** Runs the sweeper found stranded and sent messages for again: something was lost on the way. */
    public static final String RUNS_REDISPATCHED = "RunsRedispatched";

    public enum Unit { COUNT, MILLISECONDS }

    /** One metric of the contract: its name, unit and the dimension sets it is published with. */
    public record Definition(String name, Unit unit, List<List<String>> dimensions) {
    }

    private static final List<List<String>> SERVICE_ONLY = List.of(List.of(SERVICE_DIMENSION));
    static final List<List<String>> BY_OUTCOME = List.of(List.of(SERVICE_DIMENSION, OUTCOME_DIMENSION),
            List.of(SERVICE_DIMENSION, NODE_TYPE_DIMENSION, OUTCOME_DIMENSION));

    /** Every metric Metronome publishes. */
    public static final List<Definition> ALL = List.of(
            new Definition(RUNS_STARTED, Unit.COUNT, SERVICE_ONLY),
            new Definition(RUNS_COMPLETED, Unit.COUNT, SERVICE_ONLY),
            new Definition(RUNS_FAILED, Unit.COUNT, SERVICE_ONLY),
            new Definition(RUNS_CANCELLED, Unit.COUNT, SERVICE_ONLY),
            new Definition(NODES_EXECUTED, Unit.COUNT, BY_OUTCOME),
            new Definition(NODE_DURATION, Unit.MILLISECONDS, BY_OUTCOME),
            new Definition(CLAIM_CONFLICTS, Unit.COUNT, SERVICE_ONLY),
            new Definition(RETRIES, Unit.COUNT, SERVICE_ONLY),
            new Definition(QUEUE_LAG, Unit.MILLISECONDS, SERVICE_ONLY),
            new Definition(MESSAGES_FAILED, Unit.COUNT, SERVICE_ONLY),
            new Definition(RUNS_REDISPATCHED, Unit.COUNT, SERVICE_ONLY));

    /** How a node's attempt ended, as the worker records it: the values of the {@code Outcome} dimension. */
    public enum Outcome {
        COMPLETED, FAILED, RETRY, WAITING, CANCELLED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final ThreadLocal<MetricsBatch> BATCH = ThreadLocal.withInitial(MetricsBatch::new);

    private Metrics() {
    }

    public static void runStarted() {
        count(RUNS_STARTED);
    }

    public static void runCompleted() {
        count(RUNS_COMPLETED);
    }

    public static void runFailed() {
        count(RUNS_FAILED);
    }

    public static void runCancelled() {
        count(RUNS_CANCELLED);
    }

    public static void claimConflict() {
        count(CLAIM_CONFLICTS);
    }

    public static void retry() {
        count(RETRIES);
    }

    public static void messageFailed() {
        count(MESSAGES_FAILED);
    }

    public static void runRedispatched() {
        count(RUNS_REDISPATCHED);
    }

    public static void queueLag(long millis) {
        BATCH.get().service(QUEUE_LAG, Unit.MILLISECONDS, Math.max(0, millis), context());
    }

    /** A node's attempt ended (or paused: waiting) with this outcome, after running this long. */
    public static void node(String nodeType, Outcome outcome, long durationMillis) {
        BATCH.get().node(nodeType, outcome.wire(), Math.max(0, durationMillis), context());
    }

    private static void count(String name) {
        BATCH.get().service(name, Unit.COUNT, 1, context());
    }

    /** The fields a blob carries besides its metrics, so a metric leads to the trace and the logs it came from. */
    private static MetricsBatch.Context context() {
        return new MetricsBatch.Context(LogContext.get(LogContext.TRACE_ID), LogContext.get(LogContext.REQUEST_ID),
                LogContext.get(LogContext.RUN_ID));
    }

    /** Writes what this thread recorded since its last flush, and starts afresh. */
    public static void flush() {
        MetricsBatch batch = BATCH.get();
        BATCH.remove();
        Output.metrics(batch.isEmpty() ? List.of() : Emf.blobs(batch, java.time.Instant.now()));
    }

    /** Forgets what this thread recorded, unwritten. */
    public static void discard() {
        BATCH.remove();
    }
}
