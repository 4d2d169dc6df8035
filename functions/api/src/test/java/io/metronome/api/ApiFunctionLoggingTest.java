package io.metronome.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.observe.Output;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** An internal error: the caller gets the envelope with a request id, the log gets the stack trace once, under it. */
class ApiFunctionLoggingTest {
    private final List<Output.LogEvent> logs = new ArrayList<>();
    private final List<List<String>> flushes = new ArrayList<>();

    @AfterEach
    void reset() {
        Output.reset();
    }

    @Test
    void aFailureIsLoggedOnceWithItsStackTraceUnderTheRequestIdTheCallerSees() {
        Output.logsTo(logs::add);
        Output.metricsTo(flushes::add);
        ApiFunction failing = new ApiFunction(null) {
            @Override
            protected Response handle(ApiRequest request) {
                throw new IllegalStateException("the table is gone");
            }

            @Override
            protected boolean authenticated() {
                return false;
            }
        };
        APIGatewayV2HTTPEvent event = APIGatewayV2HTTPEvent.builder().withVersion("2.0").withRawPath("/v1/metronomes/m-1")
                .withPathParameters(Map.of("metronomeId", "met_1", "runId", "run_1"))
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder().withRequestId("gw-req-7")
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder().withMethod("GET").build()).build())
                .build();

        APIGatewayV2HTTPResponse r = failing.handleRequest(event, null);

        assertThat(r.getStatusCode()).isEqualTo(500);
        JsonNode error = Json.read(r.getBody()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("internal");
        assertThat(error.get("requestId").asText()).isEqualTo("gw-req-7");
        assertThat(r.getBody()).doesNotContain("the table is gone").doesNotContain("at io.metronome");

        List<JsonNode> lines = logs.stream().map(e -> Json.read(e.line())).toList();
        assertThat(lines.stream().filter(l -> l.has("stackTrace"))).singleElement().satisfies(l -> {
            assertThat(l.get("level").asText()).isEqualTo("ERROR");
            assertThat(l.get("apiRequestId").asText()).isEqualTo("gw-req-7");
            assertThat(l.get("message").asText()).contains("gw-req-7");
            assertThat(l.get("metronomeId").asText()).isEqualTo("met_1");
            assertThat(l.get("runId").asText()).isEqualTo("run_1");
            assertThat(l.get("stackTrace").asText()).contains("the table is gone");
        });
        assertThat(flushes).hasSize(1);
    }
}
