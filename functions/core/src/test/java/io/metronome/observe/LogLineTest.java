package io.metronome.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class LogLineTest {
    @org.junit.jupiter.api.BeforeEach
    void levels() {
        JsonLogging.levels(Output.Level.INFO, Output.Level.WARN);
    }

    @AfterEach
    void reset() {
        Output.reset();
        JsonLogging.levels(Output.Level.WARN, Output.Level.WARN);
        LogContext.clear();
    }

    @Test
    void aLineIsOneJsonObjectWithTheEventAndItsContextAndAStackTraceInside() {
        Map<String, String> context = new TreeMap<>(Map.of("requestId", "req-1", "runId", "run_1", "nodeId", "a\"b",
                "attempt", "2"));
        String line = LogLine.format(Instant.parse("2026-11-22T10:15:30.123456Z"), "ERROR", "io.metronome.X",
                "failed\nbadly \"quoted\"", context, new IllegalStateException("boom"));

        assertThat(line).doesNotContain("\n");
        JsonNode n = Json.read(line);
        assertThat(n.get("timestamp").asText()).isEqualTo("2026-11-22T10:15:30.123Z");
        assertThat(n.get("level").asText()).isEqualTo("ERROR");
        assertThat(n.get("message").asText()).isEqualTo("failed\nbadly \"quoted\"");
        assertThat(n.get("logger").asText()).isEqualTo("io.metronome.X");
        assertThat(n.get("requestId").asText()).isEqualTo("req-1");
        assertThat(n.get("nodeId").asText()).isEqualTo("a\"b");
        assertThat(n.get("attempt").asText()).isEqualTo("2");
        assertThat(n.get("error").asText()).isEqualTo("java.lang.IllegalStateException: boom");
        assertThat(n.get("stackTrace").asText()).contains("at io.metronome.observe.LogLineTest");
    }

    @Test
    void slf4jWritesThroughTheJsonBackendWithTheMdcAndTheLevelsItIsGiven() {
        assertThat(LoggerFactory.getILoggerFactory().getClass().getName()).startsWith(JsonLogging.class.getName());
        List<Output.LogEvent> events = new ArrayList<>();
        Output.logsTo(events::add);
        LogContext.put(LogContext.RUN_ID, "run_9");

        LoggerFactory.getLogger("io.metronome.engine.Worker").info("node {} done", "a");
        LoggerFactory.getLogger("io.metronome.engine.Worker").debug("not written at INFO");
        LoggerFactory.getLogger("software.amazon.awssdk.Something").info("not written: others log from WARN");
        LoggerFactory.getLogger("software.amazon.awssdk.Something").warn("written", new RuntimeException("x"));

        assertThat(events).hasSize(2);
        JsonNode first = Json.read(events.get(0).line());
        assertThat(first.get("message").asText()).isEqualTo("node a done");
        assertThat(first.get("runId").asText()).isEqualTo("run_9");
        assertThat(Json.read(events.get(1).line()).get("error").asText()).isEqualTo("java.lang.RuntimeException: x");
        assertThat(events.get(1).level()).isEqualTo(Output.Level.WARN);

        events.clear();
        JsonLogging.levels(Output.Level.DEBUG, Output.Level.ERROR);
        LoggerFactory.getLogger("io.metronome.engine.Worker").debug("now written");
        LoggerFactory.getLogger("software.amazon.awssdk.Something").warn("now not");
        assertThat(events).extracting(e -> Json.read(e.line()).get("message").asText()).containsExactly("now written");
    }

    @Test
    void lambdaLevelNamesAreRead() {
        assertThat(Output.Level.parse("warn", Output.Level.INFO)).isEqualTo(Output.Level.WARN);
        assertThat(Output.Level.parse("FATAL", Output.Level.INFO)).isEqualTo(Output.Level.ERROR);
        assertThat(Output.Level.parse(null, Output.Level.INFO)).isEqualTo(Output.Level.INFO);
        assertThat(Output.Level.parse("loud", Output.Level.DEBUG)).isEqualTo(Output.Level.DEBUG);
    }
}
