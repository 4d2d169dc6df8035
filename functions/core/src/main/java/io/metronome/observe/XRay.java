package io.metronome.observe;

import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;

import java.util.function.Function;

/**
 * X-Ray segments for the AWS SDK calls (the X-Ray SDK's interceptor), only in Lambda with a daemon to send them
 * to: so local runs and tests need no daemon and load none of it. With the function's {@code Tracing: Active},
 * Lambda samples the invocation and the calls appear under its segment; for a worker's message they appear in
 * the message's trace ({@link Trace#adopt}).
 */
public final class XRay {
    private XRay() {
    }

    /** In Lambda ({@code AWS_LAMBDA_FUNCTION_NAME}, {@code LAMBDA_TASK_ROOT}) with {@code AWS_XRAY_DAEMON_ADDRESS}. */
    public static boolean enabled(Function<String, String> env) {
        return present(env.apply("AWS_LAMBDA_FUNCTION_NAME")) && present(env.apply("LAMBDA_TASK_ROOT"))
                && present(env.apply("AWS_XRAY_DAEMON_ADDRESS"));
    }

    /** The SDK clients' configuration: with the tracing interceptor where {@link #enabled}. */
    public static ClientOverrideConfiguration clientConfiguration(Function<String, String> env) {
        ClientOverrideConfiguration.Builder config = ClientOverrideConfiguration.builder();
        if (enabled(env)) {
            config.addExecutionInterceptor(new com.amazonaws.xray.interceptors.TracingInterceptor());
            Trace.forXRay(true);
        }
        return config.build();
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }
}
