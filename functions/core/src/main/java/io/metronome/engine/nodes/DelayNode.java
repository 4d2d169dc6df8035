package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.Times;
import io.metronome.expr.Expressions;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Waits until a deadline fixed when the node first starts ({@code seconds} after that, or the time
 * {@code until} evaluates to). The deadline is kept in the node's state, so a pause never lengthens it: a run
 * resumed after the deadline goes straight on.
 */
public final class DelayNode implements NodeExecutor {
    @Override
    public Outcome execute(NodeContext ctx) {
        Instant due = ctx.state().dueAt();
        if (due == null) {
            due = deadline(ctx);
            if (due == null) {
                return new Outcome.Failed("delay 'until' must evaluate to an ISO 8601 time", false, null);
            }
        }
        if (!due.isAfter(ctx.now())) {
            ObjectNode output = Json.object();
            output.put("waitedUntil", Times.format(due));
            return new Outcome.Done(output, null);
        }
        return new Outcome.Wait(due);
    }

    private static Instant deadline(NodeContext ctx) {
        JsonNode config = ctx.config();
        Instant started = ctx.state().startedAt() != null ? ctx.state().startedAt() : ctx.now();
        if (config.has("seconds")) {
            return started.plusMillis(Math.round(config.get("seconds").asDouble() * 1000));
        }
        JsonNode value = Expressions.evaluate(config.get("until").asText(), ctx.expressionContext());
        try {
            return value.isTextual() ? Instant.parse(value.asText()) : null;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The step metadata a waiting delay shows. */
    public static JsonNode waitingMetadata(Instant due) {
        ObjectNode m = Json.object();
        m.put("dueAt", Times.format(due));
        return m;
    }
}
