package io.metronome.worker;

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
import io.metronome.testing.Harness;
import io.metronome.testing.LocalEventBridge;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.Record;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status notifier on the runs table's stream: real runs driven by the worker, the stream's records read with
 * the real Streams client and handed over as Lambda's event source mapping does ({@link StreamMapping}), the
 * notifications published through the real EventBridge client to a local endpoint speaking its protocol
 * ({@link LocalEventBridge}). Beside it, on a mapping of its own, the event log's writer.
 */
class RunStatusNotificationsHandlerTest {
    private static final int BATCH = 7;
    private static final String BUS = "metronome-test-bus";
    private final Harness h = Harness.withOwnTables(Duration.ofSeconds(2), Clock.systemUTC(), true);

    /** Two completed chains, a run approved then completed, and one cancelled: every kind of status change. */
    static List<Run> someRuns(Harness h) {
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
        return List.of(one, two, approved, cancelled);
    }

    @Test
    void eachStatusChangeIsPublishedInOrderNoneLostWhenAnEntryIsRefused() {
        List<Run> runs = someRuns(h);
        Run one = runs.get(0);
        Run approved = runs.get(2);
        Run cancelled = runs.get(3);
        List<Record> records = StreamMapping.readStream(h.stack.streams(), h.engine.tables.runs());

        try (LocalEventBridge bus = new LocalEventBridge().refusing(n -> n == 2)) {
            StreamMapping mapping = new StreamMapping(notifier(bus), records, BATCH).drain(4);

            assertThat(mapping.failures).as("the refused entry's record, reported once and delivered again").hasSize(1);
            // At least once: each status change taken; with duplicates dropped by eventId, and a run's changes put in
            // the order of their eventIds (EventBridge keeps no order: a change after a refused one went first).
            Map<String, JsonNode> byEventId = new LinkedHashMap<>();
            for (JsonNode entry : bus.taken) {
                assertThat(entry.get("Source").asText()).isEqualTo("metronome");
                assertThat(entry.get("DetailType").asText()).isEqualTo("Metronome Run Status Change");
                assertThat(entry.get("EventBusName").asText()).isEqualTo(BUS);
                JsonNode detail = Json.read(entry.get("Detail").asText());
                byEventId.putIfAbsent(detail.get("runId").asText() + "/" + detail.get("eventId").asText(), detail);
            }
            assertThat(bus.taken.size()).as("the refused entry's batch-mates published again").isGreaterThan(byEventId.size());
            List<JsonNode> published = inEventOrder(byEventId.values());
            // Runs' writes interleave in the stream: each run's own, in order.
            assertThat(byRun(published)).isEqualTo(byRun(expectedNotifications(records, runs)));
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
     * The two readers of the stream, each on its own mapping, while the bus refuses every entry (a wrong bus name, a
     * missing permission): the log's writer goes through every record and leaves each run's log complete, while
     * the notifier stays at the first status change, reporting it again and again. Once the bus takes entries again,
     * the notifier goes on from where it stood: every change published, none lost.
     */
    @Test
    void aBusThatRefusesEverythingHoldsBackTheNotificationsOnlyAndTheLogIsComplete() {
        List<Run> runs = someRuns(h);
        List<Record> records = StreamMapping.readStream(h.stack.streams(), h.engine.tables.runs());
        try (LocalEventBridge bus = new LocalEventBridge().refusing(n -> true)) {
            StreamMapping notifications = new StreamMapping(notifier(bus), records, BATCH);
            StreamMapping log = new StreamMapping(new RunEventsHandler(h.engine.eventLog), records, BATCH);
            for (int attempt = 0; attempt < 5; attempt++) {
                assertThat(notifications.invokeOnce()).as("the first status change, reported again")
                        .isEqualTo(records.get(0).dynamodb().sequenceNumber());
                if (!log.caughtUp()) {
                    assertThat(log.invokeOnce()).as("the log's writer is not held back").isNull();
                }
            }
            log.drain(0);

            RunEventsHandlerTest.assertLogIsComplete(h, runs, records, RunEventsHandlerTest.expectedEvents(records, runs));
            assertThat(notifications.position()).as("the notifier still at the first record").isZero();
            assertThat(bus.taken).isEmpty();

            bus.refusing(n -> false);
            notifications.drain(0);
            Map<String, JsonNode> byEventId = new LinkedHashMap<>();
            bus.taken.forEach(entry -> {
                JsonNode detail = Json.read(entry.get("Detail").asText());
                byEventId.putIfAbsent(detail.get("runId").asText() + "/" + detail.get("eventId").asText(), detail);
            });
            assertThat(byEventId).as("each change once: none was published while the bus refused").hasSize(bus.taken.size());
            assertThat(byRun(inEventOrder(byEventId.values()))).isEqualTo(byRun(expectedNotifications(records, runs)));
        }
    }

    private RunStatusNotificationsHandler notifier(LocalEventBridge bus) {
        return new RunStatusNotificationsHandler(new EventBridgeNotifier(() -> h.stack.eventBridge(bus.endpoint()), BUS));
    }

    /** The notifications the runs' writes make, each run's in order, from the stream's new images alone. */
    private static List<JsonNode> expectedNotifications(List<Record> records, List<Run> runs) {
        Map<String, TreeMap<Long, Run>> versions = RunEventsHandlerTest.versions(records);
        List<JsonNode> expected = new ArrayList<>();
        for (Run run : runs) {
            Run before = null;
            for (Run after : versions.get(run.id()).values()) {
                List<RunEvent> between = RunEvents.between(before, after);
                StatusNotification n = StatusNotification.of(before, after, between);
                if (n != null) {
                    expected.add(n.detail());
                }
                before = after;
            }
        }
        return expected;
    }

    /** By run, then by the eventId's order within the run (its revision, then its index). */
    private static List<JsonNode> inEventOrder(java.util.Collection<JsonNode> details) {
        return details.stream().sorted(Comparator.comparing((JsonNode d) -> d.get("runId").asText())
                .thenComparing(d -> EventCursor.parse(d.get("eventId").asText(), "eventId"),
                        Comparator.comparingLong(EventCursor::rev).thenComparingInt(EventCursor::index))).toList();
    }

    private static Map<String, List<String>> byRun(List<JsonNode> details) {
        return details.stream().collect(Collectors.groupingBy(d -> d.get("runId").asText(), TreeMap::new,
                Collectors.mapping(JsonNode::toString, Collectors.toList())));
    }
}
