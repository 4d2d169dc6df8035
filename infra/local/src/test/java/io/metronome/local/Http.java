package io.metronome.local;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.MessageResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.schema.SchemaValidator;
import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.parser.OpenAPIV3Parser;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An HTTP client for the local API that checks every response it receives against infra/openapi.yaml, so the
 * contract document and the code cannot drift apart.
 */
final class Http {
    private static final String DOCUMENT_URL = Path.of("../openapi.yaml").toAbsolutePath().toUri().toString();
    static final OpenApiInteractionValidator CONTRACT = OpenApiInteractionValidator
            .createForSpecificationUrl(DOCUMENT_URL).build();
    private static final OpenAPI DOCUMENT = new OpenAPIV3Parser().read(DOCUMENT_URL);
    private static final SchemaValidator SCHEMAS = new SchemaValidator(DOCUMENT, new MessageResolver());

    private final HttpClient client = HttpClient.newHttpClient();
    private final String base;

    record Reply(int status, JsonNode json, String raw) {
        JsonNode data() {
            return json.get("data");
        }

        String errorCode() {
            return json.path("error").path("code").asText(null);
        }
    }

    private final int port;

    Http(int port) {
        this.port = port;
        this.base = "http://127.0.0.1:" + port;
    }

    /**
     * A request written byte for byte (see {@link RawHttp}), for what the document does not describe: an operation
     * it does not have, or a request no route can take. Its answer must be JSON in the error envelope.
     */
    RawHttp.Answer outside(String head, byte[] body) {
        RawHttp.Answer answer = RawHttp.send(port, head, body);
        assertEnvelope(head + " -> " + answer.status(), answer.header("content-type"), answer.body());
        return answer;
    }

    /** The body is the document's Error schema (the contract's envelope), sent as JSON. */
    static void assertEnvelope(String what, String contentType, String body) {
        assertThat(contentType).as(what).startsWith("application/json");
        ValidationReport report = SCHEMAS.validate(body, DOCUMENT.getComponents().getSchemas().get("Error"), "response.body");
        assertThat(report.hasErrors()).as("%s: %s is not the error envelope:%n%s", what, body, report).isFalse();
    }

    /** Whether the document has an operation for this method on this path. */
    static boolean documents(String method, String path) {
        ValidationReport report = CONTRACT.validateResponse(path, Request.Method.valueOf(method),
                SimpleResponse.Builder.status(200).withContentType("application/json").withBody("{}").build());
        return report.getMessages().stream().noneMatch(m -> m.getKey().equals("validation.request.path.missing")
                || m.getKey().equals("validation.request.operation.notAllowed"));
    }

    Reply call(String method, String path, Map<String, String> headers, String body) {
        return send(method, path, headers, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
    }

    /** A request whose body is these exact bytes (not necessarily text). */
    Reply callBytes(String method, String path, Map<String, String> headers, byte[] body) {
        return send(method, path, headers, HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private Reply send(String method, String path, Map<String, String> headers, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        headers.forEach(b::header);
        b.method(method, body);
        HttpResponse<String> response;
        try {
            response = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        String pathOnly = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        SimpleResponse.Builder checked = SimpleResponse.Builder.status(response.statusCode())
                .withContentType(response.headers().firstValue("content-type").orElse("application/json"))
                .withBody(response.body());
        response.headers().map().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("content-type")) {
                checked.withHeader(name, values);
            }
        });
        ValidationReport report = CONTRACT.validateResponse(asDocumented(pathOnly), Request.Method.valueOf(method), checked.build());
        assertThat(report.hasErrors()).as("%s %s -> %d %s does not match the OpenAPI document:%n%s", method, path,
                response.statusCode(), response.body(), report).isFalse();
        // JSON unless the document allows another type here (an event stream, the console's page and files)
        String type = response.headers().firstValue("content-type").orElse("application/json");
        boolean json = type.startsWith("application/json") && !response.body().isEmpty();
        return new Reply(response.statusCode(), json ? Json.read(response.body()) : null, response.body());
    }

    /**
     * The path as the document's templates match it: OpenAPI has no greedy variable, so API Gateway's
     * {@code /console/{proxy+}} matches one segment there, and a deeper console path is checked as one.
     */
    static String asDocumented(String path) {
        return path.startsWith("/console/") ? "/console/" + path.substring("/console/".length()).replace("/", "%2F") : path;
    }

    /**
     * The retry a Server-Sent Events body ends with, read by a real client (LaunchDarkly's EventSource), which fails
     * on anything the format does not allow.
     */
    static long streamRetryMs(String body) {
        com.launchdarkly.eventsource.ConnectStrategy once = new com.launchdarkly.eventsource.ConnectStrategy() {
            @Override
            public Client createClient(com.launchdarkly.logging.LDLogger logger) {
                return new Client() {
                    @Override
                    public Result connect(String lastEventId) {
                        return new Result(new java.io.ByteArrayInputStream(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                                URI.create("http://127.0.0.1/"), null);
                    }

                    @Override
                    public boolean awaitClosed(long timeoutMillis) {
                        return true;
                    }

                    @Override
                    public URI getOrigin() {
                        return URI.create("http://127.0.0.1/");
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        try (com.launchdarkly.eventsource.EventSource source = new com.launchdarkly.eventsource.EventSource.Builder(once)
                .errorStrategy(com.launchdarkly.eventsource.ErrorStrategy.alwaysThrow()).build()) {
            try {
                while (true) {
                    source.readAnyEvent();
                }
            } catch (com.launchdarkly.eventsource.StreamClosedByServerException end) {
                return source.getBaseRetryDelayMillis();
            }
        } catch (com.launchdarkly.eventsource.StreamException e) {
            throw new AssertionError("not a stream: " + e, e);
        }
    }

    /** A client acting as one user, sending JSON. */
    static final class As {
        private final Http http;
        private final Map<String, String> headers;

        As(Http http, String key) {
            this.http = http;
            this.headers = key == null ? Map.of("Content-Type", "application/json")
                    : Map.of("Authorization", "Bearer " + key, "Content-Type", "application/json");
        }

        Reply get(String path) {
            return http.call("GET", path, headers, null);
        }

        Reply post(String path, String body) {
            return http.call("POST", path, headers, body);
        }

        Reply put(String path, String body) {
            return http.call("PUT", path, headers, body);
        }

        Reply delete(String path) {
            return http.call("DELETE", path, headers, null);
        }
    }
}
