package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.Templates;
import io.metronome.expr.Expressions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;

import java.util.Map;

/**
 * Calls an HTTP endpoint. {@code url} and header values may embed expressions in {{ }}; a string {@code body}
 * is an expression whose value is sent as JSON, an object or array body is sent as it is. The output is
 * {@code {status, headers, body}}; a non-2xx status or a network error fails the attempt (and is retried).
 * Each request carries an {@code Idempotency-Key} of run, node and attempt, so a receiver can drop a repeat.
 */
public final class HttpNode implements NodeExecutor {
    static final int MAX_BODY_BYTES = 256 * 1024;
    private static final int DEFAULT_TIMEOUT_MS = 10_000;

    private final HttpClient client;

    public HttpNode(HttpClient client) {
        this.client = client;
    }

    public HttpNode() {
        this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NORMAL).build());
    }

    @Override
    public Outcome execute(NodeContext ctx) throws InterruptedException {
        JsonNode config = ctx.config();
        JsonNode scope = ctx.expressionContext();
        String method = config.get("method").asText();
        String url = Templates.render(config.get("url").asText(), scope);
        HttpRequest.Builder request;
        try {
            request = HttpRequest.newBuilder(URI.create(url));
        } catch (IllegalArgumentException e) {
            return new Outcome.Failed("url '" + url + "' is not a valid URL", false, null);
        }
        request.timeout(Duration.ofMillis(config.path("timeoutMs").asInt(DEFAULT_TIMEOUT_MS)));
        request.header("Idempotency-Key", ctx.run().id() + "/" + ctx.node().id() + "/" + ctx.state().attempt());
        boolean hasContentType = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = config.path("headers").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            request.header(h.getKey(), Templates.render(h.getValue().asText(), scope));
            hasContentType |= h.getKey().equalsIgnoreCase("content-type");
        }
        JsonNode body = config.get("body");
        if (body != null && !body.isNull()) {
            JsonNode value = body.isTextual() ? Expressions.evaluate(body.asText(), scope) : body;
            if (!hasContentType) {
                request.header("Content-Type", "application/json");
            }
            request.method(method, HttpRequest.BodyPublishers.ofString(value.toString()));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return new Outcome.Failed(method + " " + url + " failed: " + e, true, null);
        }
        ObjectNode output = Json.object();
        output.put("status", response.statusCode());
        ObjectNode headers = output.putObject("headers");
        response.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(", ", v)));
        byte[] bytes = response.body();
        if (bytes.length > MAX_BODY_BYTES) {
            return new Outcome.Failed(method + " " + url + " answered " + bytes.length
                    + " bytes; a node keeps at most " + MAX_BODY_BYTES, false, null);
        }
        output.set("body", parseBody(bytes, response.headers().firstValue("content-type").orElse("")));
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            return new Outcome.Failed(method + " " + url + " answered HTTP " + status, true, output);
        }
        return new Outcome.Done(output, null);
    }

    private static JsonNode parseBody(byte[] bytes, String contentType) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (contentType.contains("json") && !text.isBlank()) {
            try {
                return Json.MAPPER.readTree(text);
            } catch (IOException ignored) {
                // not JSON after all: keep it as text
            }
        }
        return Json.MAPPER.getNodeFactory().textNode(text);
    }

}
