package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.PauseClock;
import io.metronome.domain.Times;
import io.metronome.expr.Expressions;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Waits until a deadline fixed when the node first starts ({@code seconds} after that, or the time
 * {@code until} evaluates to), kept in the node's state. Under a pause, by {@code onPause}: {@code keepDeadline}
 * (the default) never lengthens it, so a run resumed after the deadline goes straight on; {@code freeze} keeps
 * the time left, counted again from the resume ({@link PauseClock}: the step's metadata holds the run's time
 * paused when the due time was set, so the due time follows the pauses without any write at resume).
 */
public final class DelayNode implements NodeExecutor {
    @Override
    public Outcome execute(NodeContext ctx) {
        boolean freeze = PauseClock.FREEZE.equals(ctx.config().path("onPause").asText());
        Instant due = ctx.state().dueAt() == null ? null : PauseClock.dueAt(ctx.run(), ctx.state(), ctx.now());
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
        return new Outcome.Wait(due, freeze ? frozenMetadata(due, PauseClock.pausedMs(ctx.run().pause(), ctx.now()))
                : waitingMetadata(due));
    }

    /** A frozen delay's: its due time as set when the run had been paused {@code runPausedMs} in all. */
    static JsonNode frozenMetadata(Instant due, long runPausedMs) {
        ObjectNode m = Json.object();
        m.put("dueAt", Times.format(due));
        m.put("onPause", PauseClock.FREEZE);
        m.put("runPausedMs", runPausedMs);
        return m;
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
