package io.metronome.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.metronome.domain.ApiException;
import io.metronome.domain.BodyLimits;
import io.metronome.domain.Errors;
import io.metronome.domain.Json;
import io.metronome.engine.Engine;
import io.metronome.observe.Invocation;
import io.metronome.observe.LogContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What every API handler shares: the caller's identity from the authorizer, body limits and parsing, and the
 * mapping of outcomes to the contract's responses. A handler implements only {@link #handle}. Bad input of any
 * kind is a 4xx before the service is called; nothing the caller sends can produce a 5xx.
 */
public abstract class ApiFunction implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(ApiFunction.class);
    public static final int MAX_BODY_BYTES = 256 * 1024;
    private static final ObjectReader STRICT = Json.MAPPER.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Map<String, String> JSON_HEADERS = Map.of("Content-Type", "application/json; charset=utf-8");

    protected final Engine engine;

    protected ApiFunction(Engine engine) {
        this.engine = engine;
    }

    /**
     * The result of a handler: a status, a JSON body, and any headers beyond Content-Type; or a body of another
     * media type ({@code text}), whose Content-Type is among its headers.
     */
    public record Response(int status, JsonNode body, Map<String, String> headers, String text) {
        public Response(int status, JsonNode body, Map<String, String> headers) {
            this(status, body, headers, null);
        }

        public Response(int status, JsonNode body) {
            this(status, body, Map.of());
        }

        public static Response text(int status, String contentType, String text, Map<String, String> headers) {
            Map<String, String> all = new HashMap<>(headers);
            all.put("Content-Type", contentType);
            return new Response(status, null, Map.copyOf(all), text);
        }

        public static Response ok(JsonNode body) {
            return new Response(200, body);
        }

        /** An error in the contract's envelope, as if {@code e} had been thrown, with extra headers. */
        public static Response error(ApiException e, Map<String, String> headers) {
            return new Response(e.status(), ApiError.body(e), headers);
        }
    }

    protected abstract Response handle(ApiRequest request);

    /** Whether the handler wants the body's bytes as they came (a webhook checks their signature), unparsed. */
    protected boolean rawBody() {
        return false;
    }

    /** Whether the route needs an API key (all but health and webhooks). */
    protected boolean authenticated() {
        return true;
    }

    @Override
    public final APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        return Invocation.run(context, () -> respondTo(event, context));
    }

    private APIGatewayV2HTTPResponse respondTo(APIGatewayV2HTTPEvent event, Context context) {
        String requestId = requestId(event, context);
        // Every line of the request names what the caller sees (the 500 envelope quotes it) and what it is about.
        LogContext.put(LogContext.API_REQUEST_ID, requestId);
        if (event.getPathParameters() != null) {
            LogContext.put(LogContext.METRONOME_ID, event.getPathParameters().get("metronomeId"));
            LogContext.put(LogContext.RUN_ID, event.getPathParameters().get("runId"));
        }
        try {
            String userId = userId(event);
            if (authenticated() && userId == null) {
                throw new ApiException(401, "unauthorized",
                        "a valid API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'", List.of());
            }
            byte[] bytes = bytes(event);
            Map<String, String> headers = new HashMap<>();
            if (event.getHeaders() != null) {
                event.getHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
            }
            ApiRequest request = new ApiRequest(userId, orEmpty(event.getPathParameters()),
                    orEmpty(event.getQueryStringParameters()), rawBody() ? null : json(bytes, headers), requestId,
                    headers, bytes, method(event), event.getRawPath() == null ? "/" : event.getRawPath());
            return respond(handle(request));
        } catch (ApiException e) {
            return respond(new Response(e.status(), ApiError.body(e)));
        } catch (RuntimeException e) {
            LOG.error("request {} failed", requestId, e); // the one line with the stack trace, under the id the caller quotes
            return respond(new Response(500, ApiError.internal(requestId)));
        } catch (StackOverflowError e) {
            // Whatever recursed past the stack, the request did it: the caller gets the envelope, never a broken
            // connection or an invocation error.
            LOG.warn("request {} overflowed the stack", requestId);
            return respond(new Response(400, ApiError.body(ApiException.validation("$",
                    "the request is nested too deeply to be processed"))));
        } catch (Error e) {
            if (Errors.isFatal(e)) {
                throw e; // the runtime must start afresh (out of memory, a broken JVM)
            }
            LOG.error("request {} failed", requestId, e);
            return respond(new Response(500, ApiError.internal(requestId)));
        }
    }

    private static APIGatewayV2HTTPResponse respond(Response r) {
        if (r.text() != null) {
            return APIGatewayV2HTTPResponse.builder().withStatusCode(r.status()).withHeaders(r.headers())
                    .withBody(r.text()).withIsBase64Encoded(false).build();
        }
        Map<String, String> headers = JSON_HEADERS;
        if (!r.headers().isEmpty()) {
            headers = new HashMap<>(r.headers());
            headers.putAll(JSON_HEADERS);
        }
        return APIGatewayV2HTTPResponse.builder().withStatusCode(r.status()).withHeaders(headers)
                .withBody(r.body().toString()).withIsBase64Encoded(false).build();
    }

    private static String method(APIGatewayV2HTTPEvent event) {
        var ctx = event.getRequestContext();
        return ctx == null || ctx.getHttp() == null || ctx.getHttp().getMethod() == null ? ""
                : ctx.getHttp().getMethod().toUpperCase(Locale.ROOT);
    }

    /** The user id the authorizer resolved from the API key; null when there was no valid key. */
    private static String userId(APIGatewayV2HTTPEvent event) {
        var ctx = event.getRequestContext();
        if (ctx == null || ctx.getAuthorizer() == null || ctx.getAuthorizer().getLambda() == null) {
            return null;
        }
        Object userId = ctx.getAuthorizer().getLambda().get("userId");
        return userId instanceof String s && !s.isEmpty() ? s : null;
    }

    private static byte[] bytes(APIGatewayV2HTTPEvent event) {
        String raw = event.getBody();
        if (raw == null || raw.isEmpty()) {
            return new byte[0];
        }
        byte[] bytes = event.getIsBase64Encoded() ? decode(raw) : raw.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "payload_too_large", "the body is " + bytes.length + " bytes; at most "
                    + MAX_BODY_BYTES + " are accepted", List.of());
        }
        return bytes;
    }

    private static JsonNode json(byte[] bytes, Map<String, String> headers) {
        if (bytes.length == 0) {
            return null;
        }
        String contentType = headers.get("content-type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "unsupported_media_type",
                    "send the body as JSON with 'Content-Type: application/json'", List.of());
        }
        JsonNode body;
        try {
            body = STRICT.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.validation("$", "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.validation("$", "the body could not be read");
        }
        BodyLimits.check(body);
        return body;
    }

    private static byte[] decode(String raw) {
        try {
            return Base64.getDecoder().decode(raw);
        } catch (IllegalArgumentException e) {
            throw ApiException.validation("$", "the body is not valid base64");
        }
    }

    private static String requestId(APIGatewayV2HTTPEvent event, Context context) {
        if (event.getRequestContext() != null && event.getRequestContext().getRequestId() != null) {
            return event.getRequestContext().getRequestId();
        }
        return context != null && context.getAwsRequestId() != null ? context.getAwsRequestId() : UUID.randomUUID().toString();
    }

    private static Map<String, String> orEmpty(Map<String, String> m) {
        return m == null ? Map.of() : new HashMap<>(m);
    }
}
