package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.observe.Metrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a real local run leaves in the functions' log ({@value LocalLogs#FILE} in the data directory, the local
 * stand-in for the CloudWatch log stream): every line is one JSON object; the worker's lines for the run name the
 * run, the node, the attempt, the invocation's request id and the trace of the API request that started the run;
 * the metric blobs are embedded metric format, in the same trace.
 */
class ObservabilityEndToEndTest {
    private static final Path TEMPLATE = Path.of("../../template.yaml");

    @Test
    void aRunThroughTheWorkerLeavesJsonLogLinesAndMetricBlobsInOneTrace(@TempDir Path data) throws Exception {
        String runId;
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(0, data, List.of(), TEMPLATE))) {
            Http.As demo = new Http.As(new Http(stack.port()), stack.demoKey());
            String metronomeId = demo.post("/v1/metronomes", """
                    {"name": "observed", "definition": {"nodes": [
                      {"id": "sum", "type": "transform", "config": {"expression": "input.a + input.b"}},
                      {"id": "double", "type": "transform", "config": {"expression": "nodes.sum * 2"}}],
                     "edges": [{"from": "sum", "to": "double"}]}}""").data().get("id").asText();
            runId = demo.post("/v1/metronomes/" + metronomeId + "/runs", "{\"input\": {\"a\": 1, \"b\": 2}}")
                    .data().get("id").asText();
            String path = "/v1/metronomes/" + metronomeId + "/runs/" + runId;
            Instant end = Instant.now().plus(Duration.ofSeconds(30));
            while (!"completed".equals(demo.get(path).data().get("status").asText())) {
                assertThat(Instant.now()).as("the run completes").isBefore(end);
                Thread.sleep(100);
            }
        } // closing the stack flushes and closes the log file

        List<JsonNode> lines = Files.readAllLines(data.resolve(LocalLogs.FILE)).stream().map(Json::read).toList();
        assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l.isObject()).isTrue());

        JsonNode started = lines.stream().filter(l -> l.path("message").asText().startsWith("run " + runId + " of"))
                .findFirst().orElseThrow();
        String traceId = started.get("traceId").asText();
        assertThat(traceId).matches("1-[0-9a-f]{8}-[0-9a-f]{24}");
        assertThat(started.get("apiRequestId").asText()).isNotEmpty();

        JsonNode nodeLine = lines.stream().filter(l -> "io.metronome.engine.Worker".equals(l.path("logger").asText())
                && runId.equals(l.path("runId").asText()) && "double".equals(l.path("nodeId").asText()))
                .findFirst().orElseThrow();
        for (String field : List.of("timestamp", "level", "message", "logger", "requestId", "runId", "nodeId",
                "attempt", "metronomeId", "traceId")) {
            assertThat(nodeLine.hasNonNull(field)).as(field + " in " + nodeLine).isTrue();
        }
        assertThat(nodeLine.get("level").asText()).isEqualTo("INFO");
        assertThat(nodeLine.get("attempt").asText()).isEqualTo("1");
        assertThat(nodeLine.get("traceId").asText()).as("the API request's trace, across the queue").isEqualTo(traceId);
        assertThat(nodeLine.get("requestId").asText()).isNotEqualTo(started.get("requestId").asText());

        JsonNode blob = lines.stream().filter(l -> l.has("_aws") && l.has(Metrics.NODES_EXECUTED)
                && runId.equals(l.path("runId").asText()) && "transform".equals(l.path("NodeType").asText()))
                .findFirst().orElseThrow();
        JsonNode directive = blob.get("_aws").get("CloudWatchMetrics").get(0);
        assertThat(blob.get("_aws").get("Timestamp").asLong()).isPositive();
        assertThat(directive.get("Namespace").asText()).isEqualTo(Metrics.NAMESPACE);
        assertThat(directive.get("Dimensions").toString())
                .isEqualTo("[[\"Service\",\"Outcome\"],[\"Service\",\"NodeType\",\"Outcome\"]]");
        assertThat(blob.get("Service").asText()).isEqualTo("metronome");
        assertThat(blob.get("Outcome").asText()).isEqualTo("completed");
        assertThat(blob.get("traceId").asText()).isEqualTo(traceId);
        assertThat(lines.stream().filter(l -> l.has(Metrics.RUNS_STARTED))).isNotEmpty();
        assertThat(lines.stream().filter(l -> l.has(Metrics.RUNS_COMPLETED) && traceId.equals(l.path("traceId").asText())))
                .isNotEmpty();
    }
}
