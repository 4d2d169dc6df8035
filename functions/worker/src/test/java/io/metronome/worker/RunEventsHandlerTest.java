package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.EventCursor;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunStatus;
import io.metronome.engine.EventBridgeNotifier;
import io.metronome.engine.RunEvents;
import io.metronome.engine.StatusNotification;
import io.metronome.store.RunRepository;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalEventBridge;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real runs driven by the worker on a runs table with its stream; the stream's records, read with the real
 * Streams client, handed to the handler in batches as Lambda's event source mapping does (delivering again from
 * a reported failure); notifications published through the real EventBridge client to a local endpoint.
 */
class RunEventsHandlerTest {
    private static final int BATCH = 7;
    private final Harness h = Harness.withOwnTables(Duration.ofSeconds(2), Clock.systemUTC(), true);
    private final DynamoDbStreamsClient streams = h.stack.streams();

    @Test
    void theLogHoldsExactlyTheEventsOfEveryVersionAndEachStatusChangeIsPublishedNoneLost() {
        Metronome chain = h.metronome("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}},
                           {"id": "b", "type": "transform", "config": {"expression": "nodes.a + 1"}}],
                 "edges": [{"from": "a", "to": "b"}]}""");
        Metronome asks = h.metronome("""
                {"nodes": [{"id": "ask", "type": "approval", "config": {"prompt": "ship it?"}},
                           {"id": "done", "type": "transform", "config": {"expression": "'shipped'"}}],
                 "edges": [{"from": "ask", "to": "done"}]}""");
        Run one = h.start(chain, "{}");
        Run two = h.start(chain, "{}");
        Run approved = h.start(asks, "{}");
        h.awaitStatus(one, RunStatus.COMPLETED);
        h.awaitStatus(two, RunStatus.COMPLETED);
        h.awaitStatus(approved, RunStatus.WAITING_APPROVAL);
        h.engine.runService.approve(approved.userId(), approved.metronomeId(), approved.id(),
                Json.read("{\"approved\": true}"));
        h.awaitStatus(approved, RunStatus.COMPLETED);
        Run cancelled = h.start(chain, "{}");
        h.engine.runService.cancel(cancelled.userId(), cancelled.metronomeId(), cancelled.id(), null);
        h.awaitStatus(cancelled, RunStatus.CANCELLED);
        List<Run> runs = List.of(one, two, approved, cancelled);

        List<Record> records = readStream();
        // What the log must hold: the events between each run item version and the next, from the new images alone.
        Map<String, TreeMap<Long, Run>> versions = new LinkedHashMap<>();
        for (Record r : records) {
            if (r.dynamodb().hasNewImage()) {
                Run v = RunRepository.fromImage(r.dynamodb().newImage());
                versions.computeIfAbsent(v.id(), k -> new TreeMap<>()).put(v.rev(), v);
            }
        }
        Map<String, List<RunEvent>> expected = new LinkedHashMap<>();
        List<StatusNotification> expectedNotifications = new ArrayList<>();
        for (Run run : runs) {
            Run before = null;
            List<RunEvent> events = new ArrayList<>();
            for (Run after : versions.get(run.id()).values()) {
                List<RunEvent> between = RunEvents.between(before, after);
                events.addAll(between);
                StatusNotification n = StatusNotification.of(before, after, between);
                if (n != null) {
                    expectedNotifications.add(n);
                }
                before = after;
            }
            expected.put(run.id(), events);
        }
        assertThat(expected.get(one.id())).extracting(e -> e.type().wire()).containsExactly("workflow.queued",
                "workflow.started", "step.started", "step.completed", "step.started", "step.completed",
                "workflow.completed");

        try (LocalEventBridge bus = new LocalEventBridge().refusing(n -> n == 2)) {
            RunEventsHandler handler = new RunEventsHandler(h.engine.eventLog,
                    new EventBridgeNotifier(() -> h.stack.eventBridge(bus.endpoint()), "metronome-test-bus"));
            List<String> failures = deliver(handler, records);

            assertThat(failures).as("the refused entry's record, reported once and delivered again").hasSize(1);
            for (Run run : runs) {
                assertThat(h.engine.eventLog.after(run.id(), null, 1000).events()).as(run.id())
                        .isEqualTo(expected.get(run.id()));
            }

            for (Run run : runs) {
                Run last = versions.get(run.id()).lastEntry().getValue();
                assertThat(h.engine.eventLog.settledThrough(run.id())).as("the log marked complete through the last write")
                        .isEqualTo(last.rev());
            }

            // Lambda delivers a batch again (a timeout after the writes): nothing new is written or lost.
            assertThat(handler.handleRequest(event(records.subList(0, BATCH)), null).getBatchItemFailures()).isEmpty();
            for (Run run : runs) {
                assertThat(h.engine.eventLog.after(run.id(), null, 1000).events()).isEqualTo(expected.get(run.id()));
            }

            // At least once: each status change taken; with duplicates dropped by eventId, and a run's changes put in
            // the order of their eventIds (EventBridge keeps no order: a change after a refused one went first).
            Map<String, JsonNode> byEventId = new LinkedHashMap<>();
            for (JsonNode entry : bus.taken) {
                assertThat(entry.get("Source").asText()).isEqualTo("metronome");
                assertThat(entry.get("DetailType").asText()).isEqualTo("Metronome Run Status Change");
                assertThat(entry.get("EventBusName").asText()).isEqualTo("metronome-test-bus");
                JsonNode detail = Json.read(entry.get("Detail").asText());
                byEventId.putIfAbsent(detail.get("runId").asText() + "/" + detail.get("eventId").asText(), detail);
            }
            assertThat(bus.taken.size()).as("the refused entry's batch-mates published again").isGreaterThan(byEventId.size());
            List<JsonNode> published = byEventId.values().stream().sorted(java.util.Comparator.comparing(
                    (JsonNode d) -> d.get("runId").asText()).thenComparing(d -> EventCursor.parse(
                    d.get("eventId").asText(), "eventId"), java.util.Comparator.comparingLong(EventCursor::rev)
                    .thenComparingInt(EventCursor::index))).toList();
            // Runs' writes interleave in the stream: each run's own, in order.
            assertThat(byRun(published)).isEqualTo(byRun(expectedNotifications.stream()
                    .map(StatusNotification::detail).map(JsonNode.class::cast).toList()));
            Map<String, List<String>> changes = published.stream().collect(Collectors.groupingBy(
                    d -> d.get("runId").asText(), LinkedHashMap::new,
                    Collectors.mapping(d -> d.get("oldStatus").asText(null) + ">" + d.get("newStatus").asText(),
                            Collectors.toList())));
            assertThat(changes.get(one.id())).containsExactly("null>queued", "queued>running", "running>completed");
            assertThat(changes.get(approved.id())).containsExactly("null>queued", "queued>running",
                    "running>waiting_approval", "waiting_approval>running", "running>completed");
            assertThat(changes.get(cancelled.id()).get(changes.get(cancelled.id()).size() - 1)).endsWith(">cancelled");
            JsonNode first = published.get(0);
            assertThat(first.get("metronomeId").asText()).isEqualTo(one.metronomeId());
            assertThat(first.get("userId").asText()).isEqualTo(Harness.USER);
            assertThat(first.get("at").asText()).isNotBlank();
        }
    }

    /**
     * What the log costs per node, measured on chains of 50 and 100 nodes handed to the handler in the template's
     * batches of 100 records: every write with events is one request, and a node makes the same writes wherever it
     * stands, so the 50 nodes more cost exactly 50 times what one node costs.
     */
    @Test
    void theLogCostsTheSamePerNodeWhateverTheRunsLength() {
        double[] shorter = logCost(50);
        double[] longer = logCost(100);
        double callsPerNode = (longer[0] - shorter[0]) / 50;
        double unitsPerNode = (longer[1] - shorter[1]) / 50;
        System.out.printf("run events: %.2f calls and %.2f write units per node (50 nodes: %.0f calls, %.1f units;"
                + " 100 nodes: %.0f calls, %.1f units)%n", callsPerNode, unitsPerNode, shorter[0], shorter[1],
                longer[0], longer[1]);
        assertThat(longer[0] - 2 * 100).as("calls besides two per node, whatever the length").isEqualTo(shorter[0] - 2 * 50);
        assertThat(longer[1] - 2 * 100).as("write units besides two per node").isEqualTo(shorter[1] - 2 * 50);
    }

    /** The handler's calls and write units for a chain of {@code length} transforms, from its stream. */
    private double[] logCost(int length) {
        StringBuilder nodes = new StringBuilder();
        StringBuilder edges = new StringBuilder();
        for (int i = 0; i < length; i++) {
            nodes.append(i == 0 ? "" : ", ").append("{\"id\": \"n").append(i)
                    .append("\", \"type\": \"transform\", \"config\": {\"expression\": \"1\"}}");
            if (i > 0) {
                edges.append(i == 1 ? "" : ", ").append("{\"from\": \"n").append(i - 1).append("\", \"to\": \"n")
                        .append(i).append("\"}");
            }
        }
        Run run = h.start(h.metronome("{\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}"), "{}");
        h.awaitStatus(run, RunStatus.COMPLETED);
        List<Record> records = readStream().stream().filter(r -> r.dynamodb().hasNewImage()
                && RunRepository.fromImage(r.dynamodb().newImage()).id().equals(run.id())).toList();
        RunEventsHandler handler = new RunEventsHandler(h.engine.eventLog, publishingNothing());
        h.stack.counter.reset();
        for (int from = 0; from < records.size(); from += 100) {
            assertThat(handler.handleRequest(event(records.subList(from, Math.min(records.size(), from + 100))), null)
                    .getBatchItemFailures()).isEmpty();
        }
        double calls = h.stack.counter.calls().size();
        double units = h.stack.counter.writeUnits();
        assertThat(calls).as("at most one request per record and the log's completeness mark, and no read")
                .isLessThanOrEqualTo(records.size() + 1);
        assertThat(h.engine.eventLog.after(run.id(), null, 1000).events().size()).as("queued, started, each node's started and completed, completed")
                .isEqualTo(2 * length + 3);
        return new double[]{calls, units};
    }

    /** Publishing is EventBridge's cost, a few calls a run: the log's alone is counted here. */
    private static io.metronome.engine.StatusNotifier publishingNothing() {
        return notifications -> notifications.size();
    }

    private static Map<String, List<String>> byRun(List<JsonNode> details) {
        return details.stream().collect(Collectors.groupingBy(d -> d.get("runId").asText(), TreeMap::new,
                Collectors.mapping(JsonNode::toString, Collectors.toList())));
    }

    /** As Lambda's event source mapping: batches in order, again from the record a batch reports as failed. */
    private static List<String> deliver(RunEventsHandler handler, List<Record> records) {
        List<String> failures = new ArrayList<>();
        int from = 0;
        while (from < records.size()) {
            List<Record> batch = records.subList(from, Math.min(records.size(), from + BATCH));
            StreamsEventResponse response = handler.handleRequest(event(batch), null);
            if (response.getBatchItemFailures().isEmpty()) {
                from += batch.size();
                continue;
            }
            String failed = response.getBatchItemFailures().get(0).getItemIdentifier();
            failures.add(failed);
            assertThat(failures).as("delivered again and again").hasSizeLessThan(5);
            int at = 0;
            while (!batch.get(at).dynamodb().sequenceNumber().equals(failed)) {
                at++;
            }
            from += at;
        }
        return failures;
    }

    private static DynamodbEvent event(List<Record> batch) {
        DynamodbEvent e = new DynamodbEvent();
        e.setRecords(batch.stream().map(r -> StreamImages.toLambda(r, "arn:aws:dynamodb:local")).toList());
        return e;
    }

    private List<Record> readStream() {
        String arn = streams.listStreams(r -> r.tableName(h.engine.tables.runs())).streams().get(0).streamArn();
        String shard = streams.describeStream(r -> r.streamArn(arn)).streamDescription().shards().get(0).shardId();
        String iterator = streams.getShardIterator(r -> r.streamArn(arn).shardId(shard)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        List<Record> records = new ArrayList<>();
        while (iterator != null) {
            String it = iterator;
            var page = streams.getRecords(r -> r.shardIterator(it));
            records.addAll(page.records());
            if (page.records().isEmpty()) {
                break; // caught up: the shard stays open, so its iterator never ends
            }
            iterator = page.nextShardIterator();
        }
        return records;
    }
}
