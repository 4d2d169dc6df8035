package io.metronome.api.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The $default route's handler, fed payload 2.0 events as API Gateway sends them (no authorizer on this route). */
class RouteNotFoundHandlerTest {
    private final RouteNotFoundHandler handler = new RouteNotFoundHandler();

    private static APIGatewayV2HTTPEvent event(String method, String path, String body) {
        return APIGatewayV2HTTPEvent.builder().withVersion("2.0").withRouteKey("$default").withRawPath(path)
                .withHeaders(Map.of("content-type", "application/json")).withBody(body).withIsBase64Encoded(false)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder().withRouteKey("$default")
                        .withRequestId("req-1").withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                .withMethod(method).withPath(path).build()).build())
                .build();
    }

    private static JsonNode error(APIGatewayV2HTTPResponse r) {
        JsonNode error = Json.read(r.getBody()).get("error");
        assertThat(error.get("details").isArray()).isTrue();
        assertThat(error.get("message").asText()).isNotBlank();
        return error;
    }

    @Test
    void anUnknownPathIsNotFoundInTheEnvelopeWithoutAKey() {
        APIGatewayV2HTTPResponse r = handler.handleRequest(event("GET", "/v1/nowhere", null), null);
        assertThat(r.getStatusCode()).isEqualTo(404);
        assertThat(r.getHeaders()).containsEntry("Content-Type", "application/json; charset=utf-8")
                .doesNotContainKey("Allow");
        assertThat(error(r).get("code").asText()).isEqualTo("not_found");
        assertThat(error(r).get("message").asText()).contains("GET /v1/nowhere");
    }

    @Test
    void aKnownPathWithAnotherMethodIs405WithTheMethodsItAllows() {
        APIGatewayV2HTTPResponse r = handler.handleRequest(event("DELETE", "/v1/metronomes/met_1", null), null);
        assertThat(r.getStatusCode()).isEqualTo(405);
        assertThat(r.getHeaders()).containsEntry("Allow", "GET, PUT")
                .containsEntry("Content-Type", "application/json; charset=utf-8");
        assertThat(error(r).get("code").asText()).isEqualTo("method_not_allowed");

        APIGatewayV2HTTPResponse health = handler.handleRequest(event("POST", "/health", null), null);
        assertThat(health.getStatusCode()).isEqualTo(405);
        assertThat(health.getHeaders()).containsEntry("Allow", "GET");
        APIGatewayV2HTTPResponse runs = handler.handleRequest(event("PATCH", "/v1/metronomes/m/runs", null), null);
        assertThat(runs.getHeaders()).containsEntry("Allow", "GET, POST");
    }

    @Test
    void theBodyIsNeverParsedSoGarbageStillGetsTheRouteAnswer() {
        APIGatewayV2HTTPResponse r = handler.handleRequest(event("POST", "/v1/nowhere", "{not json"), null);
        assertThat(r.getStatusCode()).isEqualTo(404);
    }

    @Test
    void aLongPathIsEchoedShortened() {
        String path = "/" + "a".repeat(5000);
        APIGatewayV2HTTPResponse r = handler.handleRequest(event("GET", path, null), null);
        assertThat(r.getStatusCode()).isEqualTo(404);
        assertThat(error(r).get("message").asText()).hasSizeLessThan(400).contains("...");
    }
}
