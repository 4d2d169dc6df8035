package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.expr.Expressions;

/**
 * Runs its iterator once per element of {@code config.items} (an expression giving an array), at most
 * {@code maxConcurrency} at a time; the worker starts, counts and collects the children. Each child's expressions
 * see {@code item} and {@code index}.
 */
public final class MapNode implements NodeExecutor {
    public static final int DEFAULT_CONCURRENCY = 10;

    @Override
    public Outcome execute(NodeContext ctx) {
        JsonNode items = Expressions.evaluate(ctx.config().get("items").asText(), ctx.expressionContext());
        if (!items.isArray()) {
            return new Outcome.Failed("map items must be an array; the expression gave "
                    + (items.isNull() ? "null" : items.getNodeType().name().toLowerCase()), false, null);
        }
        return new Outcome.StartMap(items);
    }

    public static int maxConcurrency(JsonNode config) {
        return config.path("maxConcurrency").asInt(DEFAULT_CONCURRENCY);
    }

    /** How many children may fail before the map fails (Step Functions' tolerated failure count or percentage). */
    public static int toleratedFailures(JsonNode config, int total) {
        if (config.has("toleratedFailurePercentage")) {
            return (int) Math.floor(total * config.get("toleratedFailurePercentage").asDouble() / 100.0);
        }
        return config.path("toleratedFailureCount").asInt(0);
    }
}
