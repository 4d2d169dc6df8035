package io.metronome.engine.nodes;

import software.amazon.awssdk.services.ssm.SsmClient;

import java.time.Duration;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The llm nodes' API key. Deployed, it is an SSM Parameter Store SecureString named by LLM_API_KEY_PARAMETER, read
 * when an llm node first needs it and kept for {@link #KEPT} per container, so a rotated key is in use within that
 * time and the key is never in the function's configuration. Locally (and in tests) LLM_API_KEY may hold it instead.
 */
public final class LlmApiKey {
    /** How long a read key is used before it is read again. */
    static final Duration KEPT = Duration.ofMinutes(5);

    /** The key could not be read: the attempt fails and is retried, naming the parameter. */
    public static final class UnavailableException extends RuntimeException {
        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String parameter;
    private final Supplier<SsmClient> ssm;
    private final LongSupplier nanoTime;
    private String key;
    private long readAt;

    LlmApiKey(String parameter, Supplier<SsmClient> ssm, LongSupplier nanoTime) {
        this.parameter = parameter;
        this.ssm = ssm;
        this.nanoTime = nanoTime;
    }

    /** A key that is a constant (LLM_API_KEY), or none (empty): no parameter to read. */
    static LlmApiKey constant(String key) {
        LlmApiKey constant = new LlmApiKey(null, null, () -> 0);
        constant.key = key;
        return constant;
    }

    public static LlmApiKey fromEnvironment(Function<String, String> env, Supplier<SsmClient> ssm) {
        String parameter = env.apply("LLM_API_KEY_PARAMETER");
        if (parameter == null || parameter.isBlank()) {
            String key = env.apply("LLM_API_KEY");
            return constant(key == null ? "" : key.trim());
        }
        return new LlmApiKey(parameter.trim(), ssm, System::nanoTime);
    }

    /** The key, read again once it has been kept {@link #KEPT}. */
    public synchronized String current() {
        if (parameter == null) {
            return key;
        }
        long now = nanoTime.getAsLong();
        if (key == null || now - readAt >= KEPT.toNanos()) {
            try {
                key = ssm.get().getParameter(r -> r.name(parameter).withDecryption(true)).parameter().value();
            } catch (RuntimeException e) {
                if (key != null) {
                    return key; // the key read before may still work; read again next time
                }
                throw new UnavailableException("the API key could not be read from the SSM parameter " + parameter
                        + ": " + e.getMessage(), e);
            }
            readAt = now;
        }
        return key;
    }
}
