package io.metronome.observe;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TraceTest {
    @AfterEach
    void reset() {
        Delivery.end();
        System.clearProperty(Trace.HEADER_PROPERTY);
        LogContext.clear();
    }

    @Test
    void theRootIsTheTraceId() {
        assertThat(Trace.traceId("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"))
                .isEqualTo("1-5759e988-bd862e3fe1be46a994272793");
        assertThat(Trace.traceId("Parent=53995c3f42cd8ad8;Sampled=1")).isNull();
        assertThat(Trace.traceId(null)).isNull();
    }

    @Test
    void aMessagesHeaderIsAdoptedForItsHandlingThenTheInvocationsComesBack() {
        System.setProperty(Trace.HEADER_PROPERTY, "Root=1-aaaaaaaa-000000000000000000000001;Sampled=1");
        Invocation.begin("req-1");
        assertThat(LogContext.get(LogContext.TRACE_ID)).isEqualTo("1-aaaaaaaa-000000000000000000000001");

        Delivery.begin("m-1", Map.of(Delivery.TRACE_HEADER, "Root=1-bbbbbbbb-000000000000000000000002;Sampled=1"));
        assertThat(Trace.header()).startsWith("Root=1-bbbbbbbb");
        assertThat(LogContext.get(LogContext.TRACE_ID)).isEqualTo("1-bbbbbbbb-000000000000000000000002");
        assertThat(LogContext.get(LogContext.MESSAGE_ID)).isEqualTo("m-1");

        Delivery.end();
        assertThat(Trace.header()).startsWith("Root=1-aaaaaaaa");
        assertThat(LogContext.get(LogContext.TRACE_ID)).isEqualTo("1-aaaaaaaa-000000000000000000000001");
        assertThat(LogContext.get(LogContext.MESSAGE_ID)).isNull();
        assertThat(LogContext.get(LogContext.REQUEST_ID)).isEqualTo("req-1");
    }

    @Test
    void queueLagCountsFromWhenTheMessageWasSentOrDueWhicheverIsLater() {
        Instant sent = Instant.parse("2026-01-01T00:00:00Z");
        Delivery.begin("m-1", Map.of(Delivery.SENT_TIMESTAMP, Long.toString(sent.toEpochMilli())));
        Instant now = sent.plusSeconds(40);
        assertThat(Delivery.lag(now, null)).isEqualTo(Duration.ofSeconds(40));
        assertThat(Delivery.lag(now, sent.plusSeconds(30))).isEqualTo(Duration.ofSeconds(10)); // a delay it asked for
        assertThat(Delivery.lag(now, sent.minusSeconds(5))).isEqualTo(Duration.ofSeconds(40));
        Delivery.end();
        assertThat(Delivery.lag(now, null)).isNull();
    }
}
