package io.metronome.engine.nodes;

import io.metronome.expr.Expressions;

/** output = the value of {@code config.expression}. */
public final class TransformNode implements NodeExecutor {
    @Override
    public Outcome execute(NodeContext ctx) {
        return new Outcome.Done(Expressions.evaluate(ctx.config().get("expression").asText(), ctx.expressionContext()), null);
    }
}
