package io.metronome.worker;

import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunStatus;
import io.metronome.engine.RunEvents;
import io.metronome.store.RunRepository;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real runs driven by the worker on a runs table with its stream; the stream's records, read with the real
 * Streams client, handed to the handler in batches as Lambda's event source mapping does (delivering again from
 * a reported failure, {@link StreamMapping}).
 */
class RunEventsHandlerTest {
    private static final int BATCH = 7;
    private final Harness h = Harness.withOwnTables(Duration.ofSeconds(2), Clock.systemUTC(), true);
    private final DynamoDbStreamsClient streams = h.stack.streams();

    @Test
    void theLogHoldsExactlyTheEventsOfEveryVersionAndIsMarkedCompleteThroughEachSettledRunsLastWrite() {
        List<Run> runs = RunStatusNotificationsHandlerTest.someRuns(h);
        List<Record> records = readStream();
        Map<String, List<RunEvent>> expected = expectedEvents(records, runs);
        assertThat(expected.get(runs.get(0).id())).extracting(e -> e.type().wire()).containsExactly("workflow.queued",
                "workflow.started", "step.started", "step.completed", "step.started", "step.completed",
                "workflow.completed");

        RunEventsHandler handler = new RunEventsHandler(h.engine.eventLog);
        h.stack.counter.failNext("DynamoDb.BatchWriteItem"::equals);
        StreamMapping mapping = new StreamMapping(handler, records, BATCH).drain(1);

        assertThat(mapping.failures).as("the batch whose events were not written, reported and delivered again")
                .containsExactly(records.get(0).dynamodb().sequenceNumber());
        assertLogIsComplete(h, runs, records, expected);

        // Lambda delivers a batch again (a timeout after the writes): nothing new is written or lost.
        assertThat(handler.handleRequest(StreamMapping.event(records.subList(0, BATCH)), null).getBatchItemFailures()).isEmpty();
        for (Run run : runs) {
            assertThat(h.engine.eventLog.after(run.id(), null, 1000).events()).isEqualTo(expected.get(run.id()));
        }
    }

    /** Each run's log holds exactly its expected events and is marked complete through the run's last write. */
    static void assertLogIsComplete(Harness h, List<Run> runs, List<Record> records, Map<String, List<RunEvent>> expected) {
        Map<String, TreeMap<Long, Run>> versions = versions(records);
        for (Run run : runs) {
            assertThat(h.engine.eventLog.after(run.id(), null, 1000).events()).as(run.id())
                    .isEqualTo(expected.get(run.id()));
            assertThat(h.engine.eventLog.settledThrough(run.id())).as("the log marked complete through the last write")
                    .isEqualTo(versions.get(run.id()).lastEntry().getValue().rev());
        }
    }

    /** What the log must hold: the events between each run item version and the next, from the new images alone. */
    static Map<String, List<RunEvent>> expectedEvents(List<Record> records, List<Run> runs) {
        Map<String, TreeMap<Long, Run>> versions = versions(records);
        Map<String, List<RunEvent>> expected = new LinkedHashMap<>();
        for (Run run : runs) {
            Run before = null;
            List<RunEvent> events = new ArrayList<>();
            for (Run after : versions.get(run.id()).values()) {
                events.addAll(RunEvents.between(before, after));
                before = after;
            }
            expected.put(run.id(), events);
        }
        return expected;
    }

    /** Each run's item versions in the stream, by revision. */
    static Map<String, TreeMap<Long, Run>> versions(List<Record> records) {
        Map<String, TreeMap<Long, Run>> versions = new LinkedHashMap<>();
        for (Record r : records) {
            if (r.dynamodb().hasNewImage()) {
                Run v = RunRepository.fromImage(r.dynamodb().newImage());
                versions.computeIfAbsent(v.id(), k -> new TreeMap<>()).put(v.rev(), v);
            }
        }
        return versions;
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
        RunEventsHandler handler = new RunEventsHandler(h.engine.eventLog);
        h.stack.counter.reset();
        for (int from = 0; from < records.size(); from += 100) {
            assertThat(handler.handleRequest(StreamMapping.event(records.subList(from, Math.min(records.size(), from + 100))), null)
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

    private List<Record> readStream() {
        return StreamMapping.readStream(streams, h.engine.tables.runs());
    }
}
