package io.metronome.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The queue message being handled on this thread: its fields in the log lines, its trace adopted, and when it was
 * sent, for the queue lag the worker records when it claims the message's node.
 */
public final class Delivery {
    /** The SQS system attributes read here, as Lambda's event gives them. */
    public static final String SENT_TIMESTAMP = "SentTimestamp";
    public static final String TRACE_HEADER = "AWSTraceHeader";

    private static final ThreadLocal<Instant> SENT = new ThreadLocal<>();

    private Delivery() {
    }

    /** A message's handling begins: its attributes as the event carries them (null-safe). */
    public static void begin(String messageId, Map<String, String> attributes) {
        LogContext.put(LogContext.MESSAGE_ID, messageId);
        String sent = attributes == null ? null : attributes.get(SENT_TIMESTAMP);
        SENT.set(sent == null ? null : parseMillis(sent));
        Trace.adopt(attributes == null ? null : attributes.get(TRACE_HEADER));
    }

    /** The node the message names, once its body is read. */
    public static void names(String runId, String nodeId, int attempt) {
        LogContext.message(LogContext.get(LogContext.MESSAGE_ID), runId, nodeId, nodeId == null ? null : attempt);
    }

    /**
     * How long the message waited for a worker, at {@code now}: now minus its SentTimestamp, or, for a message
     * sent to wait (an SQS delay, a retry's back-off, a delay node's wake-up), minus the moment it was due, so that
     * the lag measures waiting for a worker and not the wait the run asked for. Null outside a delivery.
     */
    public static Duration lag(Instant now, Instant due) {
        Instant sent = SENT.get();
        if (sent == null) {
            return null;
        }
        Instant from = due != null && due.isAfter(sent) ? due : sent;
        return Duration.between(from, now);
    }

    public static void end() {
        SENT.remove();
        Trace.release();
        LogContext.clearMessage();
    }

    private static Instant parseMillis(String millis) {
        try {
            return Instant.ofEpochMilli(Long.parseLong(millis.trim()));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
