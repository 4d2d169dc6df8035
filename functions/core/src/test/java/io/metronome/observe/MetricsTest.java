package io.metronome.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The blobs a flush writes, read back as CloudWatch reads them, against the contract in {@link Metrics#ALL}. */
class MetricsTest {
    private final List<List<String>> flushes = new ArrayList<>();

    @org.junit.jupiter.api.BeforeEach
    void forgetWhatOtherTestsOnThisThreadRecorded() {
        Metrics.discard();
    }

    @AfterEach
    void reset() {
        Output.reset();
        LogContext.clear();
    }

    @Test
    void everyMetricIsWrittenWithTheContractsNamespaceUnitAndDimensions() {
        Output.metricsTo(flushes::add);
        LogContext.put(LogContext.TRACE_ID, "1-abc-def");
        LogContext.put(LogContext.REQUEST_ID, "req-1");
        Metrics.runStarted();
        Metrics.runCompleted();
        Metrics.runFailed();
        Metrics.runCancelled();
        Metrics.claimConflict();
        Metrics.retry();
        Metrics.queueLag(42);
        Metrics.messageFailed();
        Metrics.runRedispatched();
        LogContext.put(LogContext.RUN_ID, "run_1");
        Metrics.node("transform", Metrics.Outcome.COMPLETED, 12);
        Metrics.node("transform", Metrics.Outcome.COMPLETED, 30);
        Metrics.node("delay", Metrics.Outcome.WAITING, 3);

        Metrics.flush();

        assertThat(flushes).hasSize(1);
        List<JsonNode> blobs = flushes.get(0).stream().map(Json::read).toList();
        Map<String, Metrics.Definition> contract = Metrics.ALL.stream()
                .collect(Collectors.toMap(Metrics.Definition::name, d -> d));
        List<String> seen = new ArrayList<>();
        for (JsonNode blob : blobs) {
            JsonNode directive = blob.get("_aws").get("CloudWatchMetrics").get(0);
            assertThat(directive.get("Namespace").asText()).isEqualTo("Metronome");
            assertThat(blob.get("Service").asText()).isEqualTo("metronome");
            assertThat(blob.get("traceId").asText()).isEqualTo("1-abc-def");
            assertThat(blob.get("requestId").asText()).isEqualTo("req-1");
            List<List<String>> dimensions = new ArrayList<>();
            directive.get("Dimensions").forEach(set -> {
                List<String> names = new ArrayList<>();
                set.forEach(d -> names.add(d.asText()));
                dimensions.add(names);
            });
            for (JsonNode metric : directive.get("Metrics")) {
                Metrics.Definition d = contract.get(metric.get("Name").asText());
                assertThat(d).as(metric.toString()).isNotNull();
                assertThat(metric.get("Unit").asText())
                        .isEqualTo(d.unit() == Metrics.Unit.COUNT ? "Count" : "Milliseconds");
                assertThat(dimensions).as(d.name()).containsExactlyInAnyOrderElementsOf(d.dimensions());
                seen.add(d.name());
            }
        }
        assertThat(seen).containsAll(contract.keySet());

        JsonNode transform = blobs.stream().filter(b -> "transform".equals(b.path("NodeType").asText(null)))
                .findFirst().orElseThrow();
        assertThat(transform.get("Outcome").asText()).isEqualTo("completed");
        assertThat(transform.get("runId").asText()).isEqualTo("run_1");
        assertThat(transform.get("NodesExecuted")).hasSize(2);
        assertThat(transform.get("NodeDuration").get(0).asDouble()).isEqualTo(12.0);
        assertThat(transform.get("NodeDuration").get(1).asDouble()).isEqualTo(30.0);
        JsonNode delay = blobs.stream().filter(b -> "delay".equals(b.path("NodeType").asText(null))).findFirst().orElseThrow();
        assertThat(delay.get("Outcome").asText()).isEqualTo("waiting");
        JsonNode service = blobs.stream().filter(b -> b.has("QueueLag")).findFirst().orElseThrow();
        assertThat(service.get("QueueLag").asDouble()).isEqualTo(42.0);
        assertThat(service.has("Outcome")).isFalse();
    }

    @Test
    void aFlushStartsAfreshAndAnEmptyOneWritesNoBlob() {
        Output.metricsTo(flushes::add);
        Metrics.retry();
        Metrics.flush();
        Metrics.flush();
        assertThat(flushes).hasSize(2);
        assertThat(flushes.get(0)).hasSize(1);
        assertThat(flushes.get(1)).isEmpty();
    }

    @Test
    void outcomesAreTheContractsValues() {
        assertThat(java.util.Arrays.stream(Metrics.Outcome.values()).map(Metrics.Outcome::wire))
                .containsExactly("completed", "failed", "retry", "waiting", "cancelled");
    }
}
