package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.Templates;
import io.metronome.egress.EgressClient;
import io.metronome.egress.EgressRefusedException;
import io.metronome.expr.Expressions;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Calls an HTTP endpoint. {@code url} and header values may embed expressions in {{ }}; a string {@code body}
 * is an expression whose value is sent as JSON, an object or array body is sent as it is. The output is
 * {@code {status, headers, body}}; a non-2xx status or a network error fails the attempt (and is retried); a
 * destination the egress policy refuses fails it for good, with the policy's reason.
 * Each request carries an {@code Idempotency-Key} of run, node and attempt, so a receiver can drop a repeat.
 */
public final class HttpNode implements NodeExecutor {
    static final int MAX_BODY_BYTES = 256 * 1024;
    private static final int DEFAULT_TIMEOUT_MS = 10_000;
    /** Headers the client sets itself from the request; a node may not. */
    private static final Set<String> CLIENT_HEADERS = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "transfer-encoding", "te", "trailer", "keep-alive", "proxy-connection");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private final EgressClient client;

    public HttpNode(EgressClient client) {
        this.client = client;
    }

    /** Headers whose values are credentials: the step's input shows that they were sent, not what they held. */
    private static final Set<String> SECRET_HEADERS = Set.of("authorization",
            "proxy-authorization", "cookie", "x-api-key", "x-auth-token");

    /** What the request was, for the step's input; credential headers are shown redacted. */
    private static void ranWith(NodeContext ctx, String method, String url, List<Map.Entry<String, String>> headers,
                                JsonNode body) {
        ObjectNode in = ctx.ranWith().put("method", method).put("url", url);
        ObjectNode h = in.putObject("headers");
        for (Map.Entry<String, String> e : headers) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            boolean secret = SECRET_HEADERS.contains(name) || name.contains("token") || name.contains("secret");
            h.put(e.getKey(), secret ? "[redacted]" : e.getValue());
        }
        in.set("body", body);
    }

    @Override
    public Outcome execute(NodeContext ctx) {
        JsonNode config = ctx.config();
        JsonNode scope = ctx.expressionContext();
        String method = config.get("method").asText();
        String url = Templates.render(config.get("url").asText(), scope);
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return new Outcome.Failed("url '" + url + "' is not a valid URL", false, null);
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        headers.add(new AbstractMap.SimpleEntry<>("Idempotency-Key",
                ctx.run().id() + "/" + ctx.node().id() + "/" + ctx.state().attempt()));
        boolean hasContentType = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = config.path("headers").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            String value = Templates.render(h.getValue().asText(), scope);
            String problem = headerProblem(h.getKey(), value);
            if (problem != null) {
                return new Outcome.Failed("header '" + h.getKey() + "' " + problem, false, null);
            }
            headers.add(new AbstractMap.SimpleEntry<>(h.getKey(), value));
            hasContentType |= h.getKey().equalsIgnoreCase("content-type");
        }
        byte[] bytes = null;
        JsonNode body = config.get("body");
        JsonNode value = null;
        if (body != null && !body.isNull()) {
            value = body.isTextual() ? Expressions.evaluate(body.asText(), scope) : body;
            if (!hasContentType) {
                headers.add(new AbstractMap.SimpleEntry<>("Content-Type", "application/json"));
            }
            bytes = value.toString().getBytes(StandardCharsets.UTF_8);
        }
        ranWith(ctx, method, url, headers, value);
        Duration timeout = Duration.ofMillis(config.path("timeoutMs").asInt(DEFAULT_TIMEOUT_MS));
        EgressClient.Response response;
        try {
            response = client.send(method, uri, headers, bytes, timeout, MAX_BODY_BYTES);
        } catch (EgressRefusedException e) {
            return new Outcome.Failed(method + " " + url + " " + e.getMessage(), false, null);
        } catch (EgressClient.TooLargeException e) {
            return new Outcome.Failed(method + " " + url + " answered more than " + MAX_BODY_BYTES
                    + " bytes; a node keeps at most " + MAX_BODY_BYTES, false, null);
        } catch (org.apache.hc.client5.http.ClientProtocolException e) {
            // Too many redirects, a URL the client cannot send: the same request fails the same way again.
            return new Outcome.Failed(method + " " + url + " failed: " + e, false, null);
        } catch (IOException e) {
            return new Outcome.Failed(method + " " + url + " failed: " + e, true, null);
        }
        ObjectNode output = Json.object();
        output.put("status", response.status());
        ObjectNode answerHeaders = output.putObject("headers");
        response.headers().forEach(answerHeaders::put);
        output.set("body", parseBody(response.body(), response.contentType()));
        int status = response.status();
        if (status < 200 || status > 299) {
            return new Outcome.Failed(method + " " + url + " answered HTTP " + status, true, output);
        }
        return new Outcome.Done(output, null);
    }

    /** Why a header cannot be sent as given, or null. */
    private static String headerProblem(String name, String value) {
        if (!TOKEN.matcher(name).matches()) {
            return "is not a valid header name";
        }
        if (CLIENT_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            return "is set by the client from the request, not by a node";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return "has a line break or NUL in its value";
            }
        }
        return null;
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
