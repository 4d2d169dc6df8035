package io.metronome.observe;

import com.amazonaws.services.lambda.runtime.Context;

import java.util.function.Supplier;

/**
 * One Lambda invocation's observability: its log lines carry its request id and trace id from the start, what it
 * recorded as metrics is flushed once at its end, whether the handler returned or threw, and nothing of it is
 * left on the thread for the next.
 */
public final class Invocation {
    private Invocation() {
    }

    public static <T> T run(Context context, Supplier<T> handler) {
        begin(context == null ? null : context.getAwsRequestId());
        try {
            return handler.get();
        } finally {
            end();
        }
    }

    public static void begin(String requestId) {
        LogContext.clear();
        Metrics.discard(); // a thread's values outside any invocation are not this one's
        LogContext.put(LogContext.REQUEST_ID, requestId);
        LogContext.put(LogContext.TRACE_ID, Trace.traceId());
    }

    public static void end() {
        try {
            Metrics.flush();
        } finally {
            LogContext.clear();
        }
    }
}
