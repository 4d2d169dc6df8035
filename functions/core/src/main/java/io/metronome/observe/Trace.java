package io.metronome.observe;

/**
 * The X-Ray trace the current work belongs to, as a trace header ({@code Root=1-...;Parent=...;Sampled=1}).
 *
 * <p>Lambda's Java runtime hands each invocation its header in the system property
 * {@code com.amazonaws.xray.traceHeader} (the {@code _X_AMZN_TRACE_ID} variable is only read as a fallback: a
 * JVM's environment cannot change per invocation). A worker invocation is a new trace of Lambda's, not the one
 * that sent its messages (a batch may hold messages of many traces, so Lambda only links them); so for each
 * message the worker {@link #adopt}s the header the message came with (its {@code AWSTraceHeader} attribute):
 * its log lines, its metrics, the SDK calls' segments and the messages it sends on then all belong to the trace
 * of the request that started the run, and one run's nodes make one trace.
 */
public final class Trace {
    /** The property Lambda's Java runtime sets per invocation, and the X-Ray SDK reads. */
    public static final String HEADER_PROPERTY = "com.amazonaws.xray.traceHeader";
    public static final String HEADER_VARIABLE = "_X_AMZN_TRACE_ID";

    private static final ThreadLocal<String> ADOPTED = new ThreadLocal<>();
    /** The invocation's header as a runtime other than Lambda's hands it over (the local stack, per thread). */
    private static final ThreadLocal<String> GIVEN = new ThreadLocal<>();
    private static final ThreadLocal<String> PROPERTY_BEFORE = new ThreadLocal<>();
    /**
     * Whether an adopted header is also written to {@link #HEADER_PROPERTY}, so that the X-Ray SDK's segments for
     * the SDK calls join the message's trace. Only where the X-Ray SDK is on, in Lambda: one invocation at a time,
     * and the runtime sets the property afresh for the next.
     */
    private static volatile boolean forXRay;

    private Trace() {
    }

    /** The current header: the adopted one, else the invocation's; null outside a traced invocation. */
    public static String header() {
        String adopted = ADOPTED.get();
        if (adopted != null) {
            return adopted;
        }
        String given = GIVEN.get();
        if (given != null) {
            return given;
        }
        String property = System.getProperty(HEADER_PROPERTY);
        if (property != null && !property.isBlank()) {
            return property;
        }
        String variable = System.getenv(HEADER_VARIABLE);
        return variable == null || variable.isBlank() ? null : variable;
    }

    /** The trace id ({@code Root}) of the current header, or null. */
    public static String traceId() {
        return traceId(header());
    }

    /** The {@code Root} of a trace header, or null if it has none. */
    public static String traceId(String header) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            String p = part.trim();
            if (p.startsWith("Root=") && p.length() > 5) {
                return p.substring(5);
            }
        }
        return null;
    }

    /** The work from here on belongs to this trace (a header without a Root changes nothing). */
    public static void adopt(String header) {
        if (traceId(header) == null) {
            return;
        }
        if (ADOPTED.get() == null && forXRay) {
            PROPERTY_BEFORE.set(System.getProperty(HEADER_PROPERTY));
        }
        ADOPTED.set(header);
        if (forXRay) {
            System.setProperty(HEADER_PROPERTY, header);
        }
        LogContext.put(LogContext.TRACE_ID, traceId(header));
    }

    /** Back to the invocation's own trace. */
    public static void release() {
        if (ADOPTED.get() == null) {
            return;
        }
        ADOPTED.remove();
        if (forXRay) {
            String before = PROPERTY_BEFORE.get();
            PROPERTY_BEFORE.remove();
            if (before == null) {
                System.clearProperty(HEADER_PROPERTY);
            } else {
                System.setProperty(HEADER_PROPERTY, before);
            }
        }
        LogContext.put(LogContext.TRACE_ID, traceId());
    }

    /**
     * For a runtime that runs invocations side by side in one JVM (the local stack): this thread's invocation has
     * this header, as Lambda's runtime says with its property. Null when the invocation is over.
     */
    public static void given(String header) {
        if (header == null) {
            GIVEN.remove();
        } else {
            GIVEN.set(header);
        }
    }

    /** A new trace's header, as Lambda makes one for an invocation no one traced before it (not sampled). */
    public static String newHeader() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        return String.format("Root=1-%08x-%012x%012x;Sampled=0", System.currentTimeMillis() / 1000,
                random.nextLong(1L << 48), random.nextLong(1L << 48));
    }

    static void forXRay(boolean on) {
        forXRay = on;
    }
}
