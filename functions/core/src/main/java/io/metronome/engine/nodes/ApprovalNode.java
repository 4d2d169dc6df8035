package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;

/**
 * Asks for a decision: the run waits in {@code waiting_approval} until {@code approve} is called. Once decided,
 * the output is {@code {approved, comment, actorUserId}}; a rejection fails the run unless
 * {@code config.onReject} is {@code "continue"}, in which case later nodes (a branch, say) see the rejection.
 */
public final class ApprovalNode implements NodeExecutor {
    @Override
    public Outcome execute(NodeContext ctx) {
        JsonNode decision = ctx.state().decision();
        if (decision == null || decision.isNull()) {
            return new Outcome.AwaitApproval(ctx.config().get("prompt").asText());
        }
        ObjectNode output = Json.object();
        output.put("approved", decision.path("approved").asBoolean());
        output.set("comment", decision.path("comment").isMissingNode() ? null : decision.get("comment"));
        output.put("actorUserId", decision.path("actorUserId").asText(null));
        if (output.get("approved").asBoolean() || "continue".equals(ctx.config().path("onReject").asText())) {
            return new Outcome.Done(output, null);
        }
        String comment = decision.path("comment").asText("");
        return new Outcome.Failed("rejected by " + decision.path("actorUserId").asText("unknown")
                + (comment.isBlank() ? "" : ": " + comment), false, output);
    }
}
