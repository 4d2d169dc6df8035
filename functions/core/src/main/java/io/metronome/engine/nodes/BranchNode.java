package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Definition.Edge;
import io.metronome.domain.Json;
import io.metronome.domain.Run.BranchDecision;
import io.metronome.expr.ExpressionLimitException;
import io.metronome.expr.Expressions;

import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates the branches in order; the first whose condition is true wins, else the edge marked
 * {@code branchId: "default"}. Every branch evaluated is recorded as a decision, the chosen one with its edge.
 */
public final class BranchNode implements NodeExecutor {
    public static final String DEFAULT = "default";

    @Override
    public Outcome execute(NodeContext ctx) {
        List<BranchDecision> decisions = new ArrayList<>();
        String nodeId = ctx.node().id();
        String selected = null;
        String selectedLabel = null;
        for (JsonNode b : ctx.config().get("branches")) {
            String id = b.get("id").asText();
            String label = b.path("label").asText(id);
            String condition = b.get("condition").asText();
            boolean matched;
            String reason;
            try {
                matched = Expressions.isTruthy(Expressions.evaluate(condition, ctx.expressionContext()));
                reason = "condition " + condition + " was " + matched;
            } catch (ExpressionLimitException e) {
                throw e; // a condition over its budget fails the attempt: it is not a condition that was false
            } catch (Expressions.ExpressionException e) {
                matched = false;
                reason = e.getMessage();
            }
            if (matched) {
                selected = id;
                selectedLabel = label;
                decisions.add(new BranchDecision(nodeId, id, label, true, reason, edgeFor(ctx, id)));
                break;
            }
            decisions.add(new BranchDecision(nodeId, id, label, false, reason, null));
        }
        if (selected == null) {
            selected = DEFAULT;
            selectedLabel = DEFAULT;
            String edge = edgeFor(ctx, DEFAULT);
            decisions.add(new BranchDecision(nodeId, DEFAULT, DEFAULT, edge != null,
                    edge != null ? "no condition was true; the default edge was taken"
                            : "no condition was true and there is no default edge: the paths after this branch are skipped",
                    edge));
        }
        ObjectNode output = Json.object();
        output.put("branchId", selected);
        output.put("label", selectedLabel);
        ObjectNode metadata = Json.object();
        metadata.put("selectedBranchId", selected);
        metadata.set("branchDecisions", Json.MAPPER.valueToTree(decisions));
        return new Outcome.Done(output, metadata, decisions);
    }

    private static String edgeFor(NodeContext ctx, String branchId) {
        return ctx.outgoing().stream().filter(e -> branchId.equals(e.branchId())).map(Edge::id).findFirst().orElse(null);
    }
}
