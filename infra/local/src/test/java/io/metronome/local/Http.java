package io.metronome.local;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;

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
    static final OpenApiInteractionValidator CONTRACT = OpenApiInteractionValidator
            .createForSpecificationUrl(Path.of("../openapi.yaml").toAbsolutePath().toUri().toString()).build();

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

    Http(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** The status of a request to a path the API does not have (so not described by the document). */
    int unchecked(String method, String path, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        headers.forEach(b::header);
        try {
            return client.send(b.method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
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
        ValidationReport report = CONTRACT.validateResponse(pathOnly, Request.Method.valueOf(method),
                SimpleResponse.Builder.status(response.statusCode())
                        .withContentType(response.headers().firstValue("content-type").orElse("application/json"))
                        .withBody(response.body()).build());
        assertThat(report.hasErrors()).as("%s %s -> %d %s does not match the OpenAPI document:%n%s", method, path,
                response.statusCode(), response.body(), report).isFalse();
        return new Reply(response.statusCode(), Json.read(response.body()), response.body());
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
    }
}
