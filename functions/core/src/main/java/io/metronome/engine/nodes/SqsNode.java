package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.domain.Templates;
import io.metronome.expr.Expressions;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageResponse;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * Sends a message to a queue: {@code body} is an expression (its value is sent as JSON) or a JSON value sent as
 * it is. On a FIFO queue the deduplication id is the run, node and attempt, so a repeat of the same attempt is
 * dropped by SQS; {@code messageGroupId} defaults to the run. Output: {@code {messageId}}.
 */
public final class SqsNode implements NodeExecutor {
    private final SqsClient sqs;
    private final SqsDestinations destinations;

    public SqsNode(SqsClient sqs, SqsDestinations destinations) {
        this.sqs = sqs;
        this.destinations = destinations;
    }

    @Override
    public Outcome execute(NodeContext ctx) {
        JsonNode config = ctx.config();
        JsonNode scope = ctx.expressionContext();
        String queueUrl = Templates.render(config.get("queueUrl").asText(), scope);
        var refused = destinations.refusal(queueUrl);
        if (refused.isPresent()) {
            return new Outcome.Failed(refused.get(), false, null);
        }
        JsonNode body = config.get("body").isTextual() ? Expressions.evaluate(config.get("body").asText(), scope)
                : config.get("body");
        ctx.ranWith().put("queueUrl", queueUrl).set("body", body);
        SendMessageRequest.Builder request = SendMessageRequest.builder().queueUrl(queueUrl).messageBody(body.toString());
        if (queueUrl.endsWith(".fifo")) {
            String group = config.hasNonNull("messageGroupId")
                    ? Templates.render(config.get("messageGroupId").asText(), scope) : ctx.run().id();
            ctx.ranWith().put("messageGroupId", group);
            request.messageGroupId(group).messageDeduplicationId(
                    ctx.run().id() + "-" + ctx.state().attempt() + "-" + ctx.node().id()); // at most 100 of 128 characters
        }
        SendMessageResponse response;
        try {
            response = sqs.sendMessage(request.build());
        } catch (SqsException e) {
            boolean retry = e.statusCode() >= 500 || e.isThrottlingException();
            return new Outcome.Failed("SQS refused the message: " + e.awsErrorDetails().errorMessage(), retry, null);
        }
        return new Outcome.Done(Json.object().put("messageId", response.messageId()), null);
    }
}
