package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.observe.Invocation;
import io.metronome.observe.Metrics;
import io.metronome.observe.Output;
import io.metronome.observe.Trace;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The worker's logs, metrics and trace, with real messages on ElasticMQ: the trace header of the invocation that
 * starts a run travels on every node message (the AWSTraceHeader system attribute), and the worker's log lines and
 * metrics for the run carry that trace's id; metrics are flushed once per invocation, also when it throws.
 */
class WorkerObservabilityTest {
    private static final String TRACE_ID = "1-6760c0de-0123456789abcdef01234567";
    private static final String HEADER = "Root=" + TRACE_ID + ";Parent=53995c3f42cd8ad8;Sampled=1";

    private final Harness h = new Harness();
    private final WorkerHandler handler = new WorkerHandler(h.engine.worker);
    private final List<Output.LogEvent> logs = new CopyOnWriteArrayList<>();
    private final List<List<String>> flushes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void capture() {
        io.metronome.observe.JsonLogging.levels(Output.Level.INFO, Output.Level.WARN);
        Output.logsTo(logs::add);
        Output.metricsTo(flushes::add);
    }

    @AfterEach
    void release() {
        Output.reset();
        io.metronome.observe.JsonLogging.levels(Output.Level.WARN, Output.Level.WARN);
        System.clearProperty(Trace.HEADER_PROPERTY);
    }

    @Test
    void aRunStartedInATracedInvocationKeepsItsTraceThroughEveryNodeMessageLogLineAndMetric() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "input.x + 1"}},
                           {"id": "b", "type": "transform", "config": {"expression": "nodes.a * 2"}}],
                 "edges": [{"from": "a", "to": "b"}]}""");
        // The API invocation that starts the run: Lambda's Java runtime hands it its trace header in this property.
        System.setProperty(Trace.HEADER_PROPERTY, HEADER);
        Run run = Invocation.run(context(), () -> h.start(m, "{\"input\": {\"x\": 2}}"));
        System.clearProperty(Trace.HEADER_PROPERTY); // the worker's invocations are traces of their own

        List<Message> sent = new ArrayList<>();
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (!h.run(run).isTerminal() && Instant.now().isBefore(end)) {
            sent.addAll(deliverOneBatch());
        }

        assertThat(h.run(run).status()).isEqualTo(RunStatus.COMPLETED);
        // The first node's message, the second's (sent by the worker) and the deadline-free run's others: all in the trace.
        assertThat(sent).hasSizeGreaterThanOrEqualTo(2);
        assertThat(sent).allSatisfy(msg -> assertThat(msg.attributes().get(MessageSystemAttributeName.AWS_TRACE_HEADER))
                .startsWith("Root=" + TRACE_ID));

        List<JsonNode> runLines = logs.stream().map(e -> Json.read(e.line()))
                .filter(l -> run.id().equals(l.path("runId").asText(null))).toList();
        List<JsonNode> nodeLines = runLines.stream().filter(l -> l.has("nodeId")).toList();
        assertThat(nodeLines).extracting(l -> l.get("nodeId").asText()).contains("a", "b");
        assertThat(runLines).allSatisfy(l -> {
            assertThat(l.path("traceId").asText()).isEqualTo(TRACE_ID);
            assertThat(l.path("requestId").asText()).isNotEmpty();
            assertThat(l.path("level").asText()).isNotEmpty();
            assertThat(l.path("timestamp").asText()).isNotEmpty();
        });
        assertThat(nodeLines).allSatisfy(l -> assertThat(l.path("attempt").asText()).isEqualTo("1"));

        List<JsonNode> nodeBlobs = flushes.stream().flatMap(List::stream).map(Json::read)
                .filter(b -> b.has(Metrics.NODES_EXECUTED) && run.id().equals(b.path("runId").asText(null))).toList();
        assertThat(nodeBlobs).isNotEmpty().allSatisfy(b -> {
            assertThat(b.path("traceId").asText()).isEqualTo(TRACE_ID);
            assertThat(b.path("NodeType").asText()).isEqualTo("transform");
            assertThat(b.path("Outcome").asText()).isEqualTo("completed");
        });
        assertThat(flushes.stream().flatMap(List::stream).map(Json::read)
                .filter(b -> b.has(Metrics.QUEUE_LAG) && TRACE_ID.equals(b.path("traceId").asText(null)))).isNotEmpty();
    }

    @Test
    void aBatchOfSeveralMessagesIsFlushedOnceWithEveryNodeInIt() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}], "edges": []}""");
        List<Run> runs = List.of(h.start(m, "{}"), h.start(m, "{}"), h.start(m, "{}"));
        List<Message> received = new ArrayList<>();
        Instant end = Instant.now().plus(Duration.ofSeconds(10));
        while (received.size() < 3 && Instant.now().isBefore(end)) {
            received.addAll(h.stack.plainSqs.receiveMessage(r -> r.queueUrl(h.queueUrl).maxNumberOfMessages(10)
                    .waitTimeSeconds(1).messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages());
        }
        assertThat(received).hasSize(3);
        flushes.clear();

        handler.handleRequest(event(received), null);

        assertThat(flushes).hasSize(1);
        List<JsonNode> blobs = flushes.get(0).stream().map(Json::read).toList();
        assertThat(blobs.stream().filter(b -> b.has(Metrics.NODES_EXECUTED)).map(b -> b.path("runId").asText()))
                .containsExactlyInAnyOrderElementsOf(runs.stream().map(Run::id).toList());
        assertThat(blobs.stream().filter(b -> b.has(Metrics.RUNS_COMPLETED))).hasSize(3);
    }

    @Test
    void anInvocationThatThrowsIsFlushedAllTheSame() {
        assertThatThrownBy(() -> Invocation.run(null, () -> {
            Metrics.claimConflict();
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThatThrownBy(() -> handler.handleRequest(null, null)).isInstanceOf(NullPointerException.class);

        assertThat(flushes).hasSize(2);
        assertThat(flushes.get(0)).singleElement().satisfies(b -> assertThat(Json.read(b).path(Metrics.CLAIM_CONFLICTS)
                .asDouble()).isEqualTo(1.0));
        assertThat(flushes.get(1)).isEmpty(); // nothing recorded: a flush, and no blob
    }

    /** Delivers one batch as Lambda's event source mapping does, attributes and all; returns what it received. */
    private List<Message> deliverOneBatch() {
        List<Message> received = h.stack.plainSqs.receiveMessage(r -> r.queueUrl(h.queueUrl).maxNumberOfMessages(10)
                .waitTimeSeconds(1).messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
        if (received.isEmpty()) {
            return received;
        }
        SQSBatchResponse response = handler.handleRequest(event(received), context());
        List<String> failed = response.getBatchItemFailures().stream()
                .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList();
        for (Message msg : received) {
            if (!failed.contains(msg.messageId())) {
                h.stack.plainSqs.deleteMessage(r -> r.queueUrl(h.queueUrl).receiptHandle(msg.receiptHandle()));
            }
        }
        return received;
    }

    /** Lambda's context, as far as the handlers read it: a request id of its own per invocation. */
    private static com.amazonaws.services.lambda.runtime.Context context() {
        String requestId = java.util.UUID.randomUUID().toString();
        return (com.amazonaws.services.lambda.runtime.Context) java.lang.reflect.Proxy.newProxyInstance(
                WorkerObservabilityTest.class.getClassLoader(),
                new Class<?>[] {com.amazonaws.services.lambda.runtime.Context.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getAwsRequestId" -> requestId;
                    case "getRemainingTimeInMillis" -> 100_000; // the worker's timeout
                    default -> null;
                });
    }

    private static SQSEvent event(List<Message> messages) {
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (Message msg : messages) {
            SQSEvent.SQSMessage r = new SQSEvent.SQSMessage();
            r.setMessageId(msg.messageId());
            r.setBody(msg.body());
            r.setEventSource("aws:sqs");
            Map<String, String> attributes = new HashMap<>(msg.attributesAsStrings());
            r.setAttributes(attributes);
            records.add(r);
        }
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        return event;
    }
}
