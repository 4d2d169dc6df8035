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
 *
 * <p>Followers are never handed an event while an earlier one of its run could still appear: a BatchWriteItem
 * applies its items in no particular order (and may leave any of them for later), and a Query reads item by item
 * rather than at one instant, so a reader could meet an event before an earlier one of the same run is
 * readable, and move its cursor past it. Hence (1) {@link #append} writes a run's events revision by revision,
 * no batch holding two revisions of one run, each batch only after the one before has been written in full, so
 * that an event is readable only once every event of the run's earlier revisions is; and (2) {@link #readable}
 * hands out only what a second query, made after the first one saw it, still shows with no hole before it (a
 * revision's events are numbered from 0 with none left out, so a hole within a revision shows).
 *
 * <p>Beside the events, one item {@code evt#settled} says through which revision the log is complete, once the
 * run has settled ({@link #markSettled}): it tells a follower its stream has ended.
 */
public final class RunEventLog {
    static final String PREFIX = "evt#";
    /** The log's completeness mark: after every event key ({@code e} sorts after the digits), so no read meets it. */
    static final String SETTLED = PREFIX + "settled";
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
     * Stores events (of any runs), up to 25 to a BatchWriteItem and never two revisions of one run in the same one,
     * in the order of each run's events, retrying what DynamoDB leaves unprocessed; an event given twice is written
     * once. A caller appending one run's events in several calls makes them in the order of the run's writes (a
     * stream's records of one item come in that order).
     *
     * @throws IllegalStateException when DynamoDB keeps leaving items unprocessed: the caller's batch is to be
     *                               delivered again (all of it may be written again, harmlessly)
     */
    public void append(Collection<RunEvent> events) {
        // One request per key (a batch may not name a key twice), in each run's order.
        TreeMap<String, RunEvent> byKey = new TreeMap<>();
        for (RunEvent e : events) {
            byKey.put(e.runId() + "/" + sortKey(e.cursor()), e);
        }
        for (List<RunEvent> batch : batches(byKey.values())) {
            List<WriteRequest> writes = new ArrayList<>(batch.size());
            for (RunEvent e : batch) {
                Map<String, AttributeValue> item = new HashMap<>();
                item.put("runId", s(e.runId()));
                item.put(RunData.SK, s(sortKey(e.cursor())));
                item.put("data", s(e.toJson().toString()));
                writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
            }
            write(writes);
        }
    }

    /** One BatchWriteItem to the steps table, in full: what DynamoDB leaves unprocessed is sent again, backing off. */
    private void write(List<WriteRequest> writes) {
        Map<String, List<WriteRequest>> request = Map.of(tables.steps(), writes);
        for (int attempt = 0; ; attempt++) {
            Map<String, List<WriteRequest>> r = request;
            BatchWriteItemResponse response = dynamo.batchWriteItem(b -> b.requestItems(r));
            if (!response.hasUnprocessedItems() || response.unprocessedItems().isEmpty()) {
                return;
            }
            if (attempt == UNPROCESSED_RETRIES) {
                throw new IllegalStateException(response.unprocessedItems().values().stream().mapToInt(List::size)
                        .sum() + " items were left unprocessed " + (attempt + 1) + " times; the batch is to come again");
            }
            request = response.unprocessedItems();
            backOff(attempt);
        }
    }

    /**
     * Events in key order cut into BatchWriteItems: at most 25 each, and a new one wherever a run's next event is of
     * another revision than the one before it.
     */
    static List<List<RunEvent>> batches(Collection<RunEvent> inKeyOrder) {
        List<List<RunEvent>> batches = new ArrayList<>();
        List<RunEvent> current = new ArrayList<>();
        RunEvent previous = null;
        for (RunEvent e : inKeyOrder) {
            boolean otherRevisionOfTheRun = previous != null && previous.runId().equals(e.runId())
                    && previous.cursor().rev() != e.cursor().rev();
            if (current.size() == BATCH || otherRevisionOfTheRun) {
                batches.add(current);
                current = new ArrayList<>();
            }
            current.add(e);
            previous = e;
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
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

    /**
     * Marks each run's log complete through a revision: every event of its writes up to it is in the log, and the
     * run settled there (StreamEnd). To be called once those events were appended, so that a reader who sees the
     * mark finds them. A batch delivered again may set a mark back to an earlier revision, then forward again as
     * the later records follow; a follower told the end too early is not, since a mark is read before the events.
     */
    public void markSettled(Map<String, Long> revisions) {
        List<WriteRequest> writes = revisions.entrySet().stream().map(e -> WriteRequest.builder().putRequest(
                PutRequest.builder().item(Map.of("runId", s(e.getKey()), RunData.SK, s(SETTLED),
                        "rev", AttributeValue.fromN(Long.toString(e.getValue())))).build()).build()).toList();
        for (int from = 0; from < writes.size(); from += BATCH) {
            write(writes.subList(from, Math.min(writes.size(), from + BATCH)));
        }
    }

    /** The revision through which the run's log is marked complete (null: not marked). */
    public Long settledThrough(String runId) {
        Map<String, AttributeValue> item = dynamo.getItem(g -> g.tableName(tables.steps())
                .key(Map.of("runId", s(runId), RunData.SK, s(SETTLED))).consistentRead(true)).item();
        return item == null || item.isEmpty() ? null : Long.parseLong(item.get("rev").n());
    }

    /**
     * What a follower may be handed of the run's events after {@code after}: those of a first query (as
     * {@link #after}) that a second one, made once the first returned, still shows with no hole before them; an
     * event the first query meets was written after every event of the run's earlier revisions, so the second
     * shows all of those. {@code more} when anything after them was seen (a hole that will fill, or more events).
     * A query when nothing is there; two when something is.
     */
    public Page readable(String runId, EventCursor after, int limit) {
        Page first = after(runId, after, limit);
        if (first.events().isEmpty()) {
            return first;
        }
        EventCursor seen = first.last(after);
        Page second = after(runId, after, limit);
        List<RunEvent> confirmed = second.events().stream().filter(e -> e.cursor().compareTo(seen) <= 0).toList();
        List<RunEvent> handed = contiguous(after, confirmed);
        return new Page(handed, second.more() || handed.size() < second.events().size());
    }

    /**
     * The events that follow {@code after} with none missing before them: within a revision each next index, and
     * a later revision from its index 0 (a write's events are numbered from 0, none left out).
     */
    static List<RunEvent> contiguous(EventCursor after, List<RunEvent> inOrder) {
        List<RunEvent> out = new ArrayList<>();
        EventCursor at = after;
        for (RunEvent e : inOrder) {
            EventCursor c = e.cursor();
            boolean next = at != null && c.rev() == at.rev() ? c.index() == at.index() + 1
                    : (at == null || c.rev() > at.rev()) && c.index() == 0;
            if (!next) {
                break;
            }
            out.add(e);
            at = c;
        }
        return out;
    }
}
