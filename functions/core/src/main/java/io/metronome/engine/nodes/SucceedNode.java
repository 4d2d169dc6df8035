package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.node.NullNode;
import io.metronome.expr.Expressions;

/** Ends the run {@code completed}, with the value of {@code config.output} (if given) as the run's output. */
public final class SucceedNode implements NodeExecutor {
    @Override
    public Outcome execute(NodeContext ctx) {
        var output = ctx.config().hasNonNull("output")
                ? Expressions.evaluate(ctx.config().get("output").asText(), ctx.expressionContext())
                : NullNode.getInstance();
        return new Outcome.EndRun(true, output, null);
    }
}
