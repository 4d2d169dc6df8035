package io.metronome.store;

import io.metronome.domain.EventCursor;
import io.metronome.domain.Json;
import io.metronome.domain.RunEvent;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.metronome.store.Items.s;

/**
 * A run's events, kept in the steps table's run partition (beside its steps and {@link RunData}) under
 * {@code evt#<rev, 12 digits>#<index, 3 digits>}: in the order of their ids, and never among the keys the run's
 * other queries ask for (steps: {@code stp_}, outputs: {@code out#}, elements: {@code item#}, the summary:
 * {@code $sum#}, the input: {@code $input}). One item per event, holding the event's JSON: about 200 to 400
 * bytes, so 1 write unit each (an event listing many nodes, a long error, can take 2).
 *
 * <p>Writing is idempotent: an event's key and content follow from the run item's versions alone, so a stream
 * batch delivered again puts the very same items again.
 */
public final class RunEventLog {
    static final String PREFIX = "evt#";
    private static final int BATCH = 25;
    /** A batch's unprocessed items are retried this many times, backing off, before the caller is told. */
    private static final int UNPROCESSED_RETRIES = 8;
    public static final int MAX_PAGE = 1000;

    private final DynamoDbClient dynamo;
    private final Tables tables;

    public RunEventLog(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    /** A page of events, oldest first; {@code more} when the run has events after the last one. */
    public record Page(List<RunEvent> events, boolean more) {
        /** The cursor to ask for the next page with: the last event's, or the one asked with if none came. */
        public EventCursor last(EventCursor askedAfter) {
            return events.isEmpty() ? askedAfter : events.get(events.size() - 1).cursor();
        }
    }

    static String sortKey(EventCursor c) {
        return String.format("%s%012d#%03d", PREFIX, c.rev(), c.index());
    }

    /**
     * Stores events (of any runs), 25 to a BatchWriteItem, retrying what DynamoDB leaves unprocessed; an event
     * given twice is written once.
     *
     * @throws IllegalStateException when DynamoDB keeps leaving items unprocessed: the caller's batch is to be
     *                               delivered again (all of it may be written again, harmlessly)
     */
    public void append(Collection<RunEvent> events) {
        Map<String, WriteRequest> byKey = new TreeMap<>(); // one request per key: a batch may not name a key twice
        for (RunEvent e : events) {
            Map<String, AttributeValue> item = new HashMap<>();
            item.put("runId", s(e.runId()));
            item.put(RunData.SK, s(sortKey(e.cursor())));
            item.put("data", s(e.toJson().toString()));
            byKey.put(e.runId() + "/" + sortKey(e.cursor()),
                    WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
        }
        List<WriteRequest> writes = new ArrayList<>(byKey.values());
        for (int from = 0; from < writes.size(); from += BATCH) {
            List<WriteRequest> batch = writes.subList(from, Math.min(writes.size(), from + BATCH));
            Map<String, List<WriteRequest>> request = Map.of(tables.steps(), batch);
            for (int attempt = 0; ; attempt++) {
                Map<String, List<WriteRequest>> r = request;
                BatchWriteItemResponse response = dynamo.batchWriteItem(b -> b.requestItems(r));
                if (!response.hasUnprocessedItems() || response.unprocessedItems().isEmpty()) {
                    break;
                }
                if (attempt == UNPROCESSED_RETRIES) {
                    throw new IllegalStateException(response.unprocessedItems().values().stream().mapToInt(List::size)
                            .sum() + " events were left unprocessed " + (attempt + 1) + " times; the batch is to come again");
                }
                request = response.unprocessedItems();
                backOff(attempt);
            }
        }
    }

    /** AWS's advice for unprocessed items: wait, longer each time, then send them again. */
    private static void backOff(int attempt) {
        try {
            Thread.sleep(Math.min(1000, 20L << attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing events", e);
        }
    }

    /**
     * The run's events after {@code after} (exclusive; null: from its first), oldest first: at most {@code limit},
     * and at most what one query returns (1 MB of items), read consistently so that a follower sees every event
     * written before it asked.
     */
    public Page after(String runId, EventCursor after, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be from 1 to " + MAX_PAGE);
        }
        EventCursor last = new EventCursor(EventCursor.MAX_REV, EventCursor.MAX_INDEX);
        if (after != null && after.equals(last)) {
            return new Page(List.of(), false);
        }
        // Both bounds inclusive and within evt#: from the first position after the cursor to the last there is.
        String from = after == null ? PREFIX : sortKey(after.index() < EventCursor.MAX_INDEX
                ? new EventCursor(after.rev(), after.index() + 1) : new EventCursor(after.rev() + 1, 0));
        String to = sortKey(last);
        QueryResponse response = dynamo.query(q -> q.tableName(tables.steps())
                .keyConditionExpression("runId = :r AND #k BETWEEN :from AND :to")
                .expressionAttributeNames(Map.of("#k", RunData.SK))
                .expressionAttributeValues(Map.of(":r", s(runId), ":from", s(from), ":to", s(to)))
                .consistentRead(true).limit(limit));
        List<RunEvent> events = response.items().stream()
                .map(item -> RunEvent.fromJson(Json.read(item.get("data").s()))).toList();
        return new Page(events, response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty());
    }
}
