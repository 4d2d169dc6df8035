package io.metronome.local;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * The Lambda {@link Context} of one local invocation: its own request id, the function's name, memory and ARN as a
 * local account would have them, and the time left counting down from the function's timeout (from the moment
 * it is made, as Lambda counts from the invocation's start). Its logger writes to this process's stderr. An
 * invocation runs with a trace header of its own ({@link #invoke}), as Lambda starts a trace for an invocation
 * that arrives without one.
 */
public final class LocalContext implements Context {
    private final String requestId = UUID.randomUUID().toString();
    private final String functionName;
    private final int memoryMb;
    private final long deadlineNanos;

    public LocalContext(String functionName, Duration timeout, int memoryMb) {
        this.functionName = functionName;
        this.memoryMb = memoryMb;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    }

    /** An HTTP route's or a schedule's function: the template's default time and memory are near enough here. */
    LocalContext(String functionName) {
        this(functionName, Duration.ofSeconds(15), 1024);
    }

    /** Runs a handler as a new invocation of the function, in a trace of its own. */
    static <T> T invoke(String function, java.util.function.Function<Context, T> handler) {
        return invoke(new LocalContext(function), io.metronome.observe.Trace.newHeader(), handler);
    }

    /** As above, in a trace begun before (API Gateway's, which its authorizer and its integration share). */
    static <T> T invoke(String function, String traceHeader, java.util.function.Function<Context, T> handler) {
        return invoke(new LocalContext(function), traceHeader, handler);
    }

    /** Runs a handler as this invocation, with its trace header given to it the way Lambda's runtime does. */
    static <T> T invoke(LocalContext context, String traceHeader, java.util.function.Function<Context, T> handler) {
        io.metronome.observe.Trace.given(traceHeader);
        try {
            return handler.apply(context);
        } finally {
            io.metronome.observe.Trace.given(null);
        }
    }

    @Override
    public String getAwsRequestId() {
        return requestId;
    }

    @Override
    public String getLogGroupName() {
        return "/aws/lambda/" + functionName;
    }

    @Override
    public String getLogStreamName() {
        return "local/[$LATEST]" + requestId.substring(0, 8);
    }

    @Override
    public String getFunctionName() {
        return functionName;
    }

    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
        return "arn:aws:lambda:us-east-1:000000000000:function:" + functionName;
    }

    @Override
    public CognitoIdentity getIdentity() {
        return null;
    }

    @Override
    public ClientContext getClientContext() {
        return null;
    }

    /** Never below zero: past the deadline the invocation is being ended. */
    @Override
    public int getRemainingTimeInMillis() {
        long left = Duration.ofNanos(deadlineNanos - System.nanoTime()).toMillis();
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, left));
    }

    @Override
    public int getMemoryLimitInMB() {
        return memoryMb;
    }

    @Override
    public LambdaLogger getLogger() {
        return LOGGER;
    }

    private static final LambdaLogger LOGGER = new LambdaLogger() {
        @Override
        public void log(String message) {
            System.err.print(message);
        }

        @Override
        public void log(byte[] message) {
            System.err.print(new String(message, StandardCharsets.UTF_8));
        }
    };
}
