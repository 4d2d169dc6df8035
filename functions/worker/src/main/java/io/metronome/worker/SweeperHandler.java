package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import io.metronome.domain.Json;
import io.metronome.engine.Engine;
import io.metronome.engine.Sweeper;
import io.metronome.observe.Invocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Runs every few minutes (an EventBridge schedule): sends again what stranded runs wait for ({@link Sweeper}).
 * It stops taking pages while there is time left to finish the one it is on, so it never runs into its timeout;
 * what it leaves is still due, and found at the next tick. Returns (and logs) what it did.
 */
public final class SweeperHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    /** Kept free at the end of the invocation: a page's writes and sends take well under this. */
    public static final long RESERVE_MS = 15_000;
    /** The time taken without a Lambda context (the local stack's ticks): as if the template's 60 s timeout. */
    static final long WITHOUT_CONTEXT_MS = 60_000;

    private static final Logger LOG = LoggerFactory.getLogger(SweeperHandler.class);
    private final Sweeper sweeper;

    public SweeperHandler() {
        this(Engine.shared());
    }

    public SweeperHandler(Engine engine) {
        this.sweeper = engine.sweeper;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> scheduledEvent, Context context) {
        return Invocation.run(context, () -> {
            long remaining = context == null ? WITHOUT_CONTEXT_MS : context.getRemainingTimeInMillis();
            long stopAt = System.currentTimeMillis() + remaining - RESERVE_MS;
            Map<String, Object> summary = sweeper.sweep(() -> System.currentTimeMillis() < stopAt).asMap();
            LOG.info("sweep: {}", Json.MAPPER.valueToTree(summary));
            return summary;
        });
    }
}
