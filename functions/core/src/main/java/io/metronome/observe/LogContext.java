package io.metronome.observe;

import org.slf4j.MDC;

/**
 * The fields every log line of an invocation carries, kept in SLF4J's MDC (so the AWS SDK's own lines carry them
 * too). Set when an invocation starts ({@link Invocation}) and, in the worker, per message; cleared after.
 */
public final class LogContext {
    /** Lambda's request id of the invocation (what its START and END lines show). */
    public static final String REQUEST_ID = "requestId";
    /** API Gateway's request id: the one a 500's error envelope quotes to the caller. */
    public static final String API_REQUEST_ID = "apiRequestId";
    public static final String TRACE_ID = "traceId";
    public static final String RUN_ID = "runId";
    public static final String NODE_ID = "nodeId";
    public static final String ATTEMPT = "attempt";
    public static final String METRONOME_ID = "metronomeId";
    public static final String MESSAGE_ID = "messageId";

    private LogContext() {
    }

    /** Sets a field, or removes it when the value is null. */
    public static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    public static String get(String key) {
        return MDC.get(key);
    }

    /** The message's fields, for the time one message is handled; the invocation's fields stay. */
    public static void message(String messageId, String runId, String nodeId, Integer attempt) {
        put(MESSAGE_ID, messageId);
        put(RUN_ID, runId);
        put(NODE_ID, nodeId);
        put(ATTEMPT, attempt == null ? null : attempt.toString());
    }

    public static void clearMessage() {
        MDC.remove(MESSAGE_ID);
        MDC.remove(RUN_ID);
        MDC.remove(NODE_ID);
        MDC.remove(ATTEMPT);
        MDC.remove(METRONOME_ID);
    }

    public static void clear() {
        MDC.clear();
    }
}
