package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.expr.Expressions;

import io.metronome.egress.EgressClient;
import io.metronome.egress.EgressRefusedException;
import software.amazon.awssdk.services.ssm.SsmClient;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Calls an OpenAI-compatible chat completions endpoint ({@code POST <LLM_API_URL>/chat/completions}). The
 * output is {@code {content, model, finishReason}}; the step's metadata records the tokens, their cost (from
 * the configured prices per thousand tokens) and the thread id (the config's {@code threadId}, else the run),
 * and the run's summary adds them up. Rate limits and server errors are retried; other 4xx are not. The endpoint is
 * held to the egress policy like any other destination (a private one must be on the allow-list).
 */
public final class LlmNode implements NodeExecutor {

    /**
     * @param apiUrl base URL, e.g. {@code https://api.example.com/v1}; empty means llm nodes are not configured
     * @param inputCtPer1k cost of a thousand prompt tokens; outputCtPer1k of a thousand completion tokens
     */
    public record Settings(String apiUrl, LlmApiKey apiKey, double inputCtPer1k, double outputCtPer1k) {
        public static Settings fromEnvironment(Function<String, String> env, Supplier<SsmClient> ssm) {
            return new Settings(orEmpty(env.apply("LLM_API_URL")), LlmApiKey.fromEnvironment(env, ssm),
                    number(env.apply("LLM_PRICE_INPUT_CT_PER_1K_TOKENS")), number(env.apply("LLM_PRICE_OUTPUT_CT_PER_1K_TOKENS")));
        }

        private static String orEmpty(String s) {
            return s == null ? "" : s.trim();
        }

        private static double number(String s) {
            return s == null || s.isBlank() ? 0 : Double.parseDouble(s.trim());
        }
    }

    /** The longest answer read from the model endpoint. */
    static final int MAX_ANSWER_BYTES = 4 * 1024 * 1024;
    /** The longest the model endpoint is waited for (the whole exchange); the worker's timeout is sized on it. */
    public static final Duration TIMEOUT = Duration.ofSeconds(50);

    private final EgressClient client;
    private final Settings settings;

    public LlmNode(EgressClient client, Settings settings) {
        this.client = client;
        this.settings = settings;
    }

    @Override
    public Outcome execute(NodeContext ctx) {
        if (settings.apiUrl().isEmpty()) {
            return new Outcome.Failed("llm nodes are not configured here (LLM_API_URL is empty)", false, null);
        }
        JsonNode config = ctx.config();
        JsonNode scope = ctx.expressionContext();
        ArrayNode messages = Json.MAPPER.createArrayNode();
        if (config.hasNonNull("system")) {
            messages.addObject().put("role", "system").put("content", config.get("system").asText());
        }
        if (config.has("prompt")) {
            JsonNode prompt = Expressions.evaluate(config.get("prompt").asText(), scope);
            messages.addObject().put("role", "user").put("content", prompt.isTextual() ? prompt.asText() : prompt.toString());
        } else {
            JsonNode given = Expressions.evaluate(config.get("messages").asText(), scope);
            if (!given.isArray()) {
                return new Outcome.Failed("'messages' must evaluate to an array of {role, content}", false, null);
            }
            given.forEach(messages::add);
        }
        String threadId = config.has("threadId") ? Expressions.evaluate(config.get("threadId").asText(), scope).asText()
                : ctx.run().id();
        ObjectNode request = Json.object();
        request.put("model", config.get("model").asText());
        request.set("messages", messages);
        ctx.ranWith().put("model", config.get("model").asText()).put("threadId", threadId).set("messages", messages);
        if (config.has("maxTokens")) {
            request.put("max_tokens", config.get("maxTokens").asInt());
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        headers.add(new AbstractMap.SimpleEntry<>("Content-Type", "application/json"));
        String apiKey;
        try {
            apiKey = settings.apiKey().current();
        } catch (LlmApiKey.UnavailableException e) {
            return new Outcome.Failed(e.getMessage(), true, null);
        }
        if (!apiKey.isEmpty()) {
            headers.add(new AbstractMap.SimpleEntry<>("Authorization", "Bearer " + apiKey));
        }
        EgressClient.Response answered;
        try {
            URI endpoint = URI.create(settings.apiUrl().replaceAll("/+$", "") + "/chat/completions");
            answered = client.send("POST", endpoint, headers, request.toString().getBytes(StandardCharsets.UTF_8),
                    TIMEOUT, MAX_ANSWER_BYTES);
        } catch (IllegalArgumentException e) {
            return new Outcome.Failed("LLM_API_URL is not a valid URL: " + e.getMessage(), false, null);
        } catch (EgressRefusedException e) {
            return new Outcome.Failed("the model endpoint " + e.getMessage(), false, null);
        } catch (EgressClient.TooLargeException e) {
            return new Outcome.Failed("the model endpoint answered more than " + MAX_ANSWER_BYTES + " bytes", false, null);
        } catch (IOException e) {
            return new Outcome.Failed("the model endpoint could not be reached: " + e, true, null);
        }
        String responseBody = new String(answered.body(), StandardCharsets.UTF_8);
        int status = answered.status();
        if (status != 200) {
            boolean retry = status == 429 || status >= 500;
            return new Outcome.Failed("the model endpoint answered HTTP " + status + ": " + abbreviate(responseBody), retry, null);
        }
        JsonNode answer;
        try {
            answer = Json.MAPPER.readTree(responseBody);
        } catch (IOException e) {
            return new Outcome.Failed("the model endpoint answered something that is not JSON", true, null);
        }
        JsonNode choice = answer.path("choices").path(0);
        JsonNode usage = answer.path("usage");
        long promptTokens = usage.path("prompt_tokens").asLong(0);
        long completionTokens = usage.path("completion_tokens").asLong(0);
        double cost = promptTokens / 1000.0 * settings.inputCtPer1k() + completionTokens / 1000.0 * settings.outputCtPer1k();
        ObjectNode output = Json.object();
        output.put("content", choice.path("message").path("content").asText(null));
        output.put("model", answer.path("model").asText(config.get("model").asText()));
        output.put("finishReason", choice.path("finish_reason").asText(null));
        ObjectNode metadata = Json.object();
        metadata.put("model", output.get("model").asText());
        metadata.put("responseId", answer.path("id").asText(null));
        metadata.put("promptTokens", promptTokens);
        metadata.put("completionTokens", completionTokens);
        metadata.put("totalTokens", promptTokens + completionTokens);
        metadata.put("costCt", Math.round(cost * 1_000_000) / 1_000_000.0);
        metadata.put("threadId", threadId);
        return new Outcome.Done(output, metadata);
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
