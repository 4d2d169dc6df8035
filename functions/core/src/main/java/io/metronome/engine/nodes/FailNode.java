package io.metronome.engine.nodes;

/** Ends the run {@code failed} with {@code config.error}. */
public final class FailNode implements NodeExecutor {
    @Override
    public Outcome execute(NodeContext ctx) {
        return new Outcome.EndRun(false, null, ctx.config().get("error").asText());
    }
}
