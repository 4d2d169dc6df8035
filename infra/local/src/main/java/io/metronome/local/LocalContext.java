package io.metronome.local;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;

import java.util.UUID;

/**
 * What Lambda hands each invocation, locally: a fresh request id, the function's name, and a trace header of its
 * own ({@link #invoke}), as Lambda starts a trace for an invocation that arrives without one.
 */
final class LocalContext implements Context {
    private final String requestId = UUID.randomUUID().toString();
    private final String function;

    LocalContext(String function) {
        this.function = function;
    }

    /** Runs a handler as this invocation, with its trace header given to it the way Lambda's runtime does. */
    static <T> T invoke(String function, java.util.function.Function<Context, T> handler) {
        return invoke(function, io.metronome.observe.Trace.newHeader(), handler);
    }

    /** As above, in a trace begun before (API Gateway's, which its authorizer and its integration share). */
    static <T> T invoke(String function, String traceHeader, java.util.function.Function<Context, T> handler) {
        io.metronome.observe.Trace.given(traceHeader);
        try {
            return handler.apply(new LocalContext(function));
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
        return "/aws/lambda/" + function;
    }

    @Override
    public String getLogStreamName() {
        return "local";
    }

    @Override
    public String getFunctionName() {
        return function;
    }

    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
        return "arn:aws:lambda:us-east-1:000000000000:function:" + function;
    }

    @Override
    public CognitoIdentity getIdentity() {
        return null;
    }

    @Override
    public ClientContext getClientContext() {
        return null;
    }

    @Override
    public int getRemainingTimeInMillis() {
        return 15_000;
    }

    @Override
    public int getMemoryLimitInMB() {
        return 1024;
    }

    @Override
    public LambdaLogger getLogger() {
        return null;
    }
}
