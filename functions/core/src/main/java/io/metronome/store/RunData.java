package io.metronome.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Run.BranchDecision;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.metronome.store.Items.json;
import static io.metronome.store.Items.n;
import static io.metronome.store.Items.s;
import static io.metronome.store.Items.str;

/**
 * What a run's nodes read and produce, kept apart from the run item so that the run item stays small: the run's
 * input, each completed node's output, a map's elements, and the summary's lists (branch decisions, threads).
 * These live in the steps table, in the run's partition, under sort keys that can never be step ids (those
 * start with {@code stp_}); the timeline's step query asks for {@code stp_} keys only.
 *
 * <table>
 *   <tr><th>sort key</th><th>holds</th><th>written</th></tr>
 *   <tr><td>{@code $input}</td><td>the run's input</td><td>with the run, in its create transaction</td></tr>
 *   <tr><td>{@code out#<nodeId>}</td><td>a node's output, with the attempt that produced it</td>
 *       <td>before the write that completes the node; a later attempt's output replaces an earlier one's, never
 *       the reverse</td></tr>
 *   <tr><td>{@code out#<mapId>#<index>}</td><td>a map child's output, even a null one: it also records that the
 *       child completed, so a redriven map keeps it ({@link #childrenWithOutput})</td><td>as above</td></tr>
 *   <tr><td>{@code item#<mapId>#<index>}</td><td>a map's element</td><td>before the write that starts the map</td></tr>
 *   <tr><td>{@code $sum#dec#...}, {@code $sum#thr#...}</td><td>the summary's branch decisions and thread ids</td>
 *       <td>before the write that completes the node; repeats land on the same key</td></tr>
 *   <tr><td>{@code evt#<rev>#<index>}</td><td>the run's events ({@link RunEventLog})</td>
 *   <tr><td>{@code evt#settled}</td><td>the revision through which those are complete, once the run settled</td>
 *       <td>after the run item's write they come from</td></tr>
 * </table>
 */
public final class RunData {
    static final String SK = "stepId";
    public static final String INPUT = "$input";
    private static final String SUMMARY = "$sum#";

    private final DynamoDbClient dynamo;
    private final Tables tables;

    public RunData(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    /**
     * The key of a node's output. A map child ({@code <mapId>[<index>]}) is keyed by its map's id and its index,
     * padded, so that a query returns a map's outputs in index order.
     */
    public static String outputKey(String nodeId) {
        int open = nodeId.indexOf('[');
        if (open > 0 && nodeId.endsWith("]")) {
            return "out#" + childKey(nodeId.substring(0, open), Integer.parseInt(nodeId.substring(open + 1, nodeId.length() - 1)));
        }
        return "out#" + nodeId;
    }

    public static String childKey(String mapId, int index) {
        return mapId + "#" + String.format("%010d", index);
    }

    static Put inputPut(Tables tables, String runId, JsonNode input) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("runId", s(runId));
        item.put(SK, s(INPUT));
        item.put("data", json(input));
        return Put.builder().tableName(tables.steps()).item(item).build();
    }

    public JsonNode input(String runId) {
        return get(runId, INPUT);
    }

    /** The inputs of several runs (a page of a list), in batch reads. */
    public Map<String, JsonNode> inputs(List<String> runIds) {
        Map<String, JsonNode> out = new HashMap<>();
        for (int from = 0; from < runIds.size(); from += 100) {
            Map<String, KeysAndAttributes> request = Map.of(tables.steps(), KeysAndAttributes.builder()
                    .keys(runIds.subList(from, Math.min(runIds.size(), from + 100)).stream()
                            .map(id -> Items.key("runId", id, SK, INPUT)).toList()).consistentRead(true).build());
            while (request != null && !request.isEmpty()) {
                Map<String, KeysAndAttributes> r = request;
                BatchGetItemResponse response = dynamo.batchGetItem(b -> b.requestItems(r));
                response.responses().getOrDefault(tables.steps(), List.of())
                        .forEach(item -> out.put(str(item, "runId"), json(item, "data")));
                request = response.hasUnprocessedKeys() && !response.unprocessedKeys().isEmpty()
                        ? response.unprocessedKeys() : null;
            }
        }
        return out;
    }

    /**
     * Stores a node's output unless a later attempt's is already there (a slow attempt that lost its lease
     * finishing after the one that took over).
     *
     * @return false when a later attempt's output is kept instead
     */
    public boolean putOutput(String runId, String nodeId, int attempt, JsonNode output) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("runId", s(runId));
        item.put(SK, s(outputKey(nodeId)));
        item.put("data", json(output));
        item.put("attempt", n(attempt));
        try {
            dynamo.putItem(r -> r.tableName(tables.steps()).item(item)
                    .conditionExpression("attribute_not_exists(#k) OR attempt <= :a")
                    .expressionAttributeNames(Map.of("#k", SK))
                    .expressionAttributeValues(Map.of(":a", n(attempt))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    public JsonNode output(String runId, String nodeId) {
        return get(runId, outputKey(nodeId));
    }

    /**
     * Items of the run by sort key ({@link #INPUT}, {@link #outputKey}, {@link #elementKey}), in batch reads; a
     * key with no item (a node that did not complete) is absent from the result.
     */
    public Map<String, JsonNode> read(String runId, Collection<String> keys) {
        Map<String, JsonNode> byKey = new HashMap<>();
        readInto(runId, new ArrayList<>(new java.util.LinkedHashSet<>(keys)), byKey);
        return byKey;
    }

    private void readInto(String runId, List<String> keys, Map<String, JsonNode> out) {
        for (int from = 0; from < keys.size(); from += 100) {
            List<Map<String, AttributeValue>> batch = keys.subList(from, Math.min(keys.size(), from + 100)).stream()
                    .map(k -> Items.key("runId", runId, SK, k)).toList();
            Map<String, KeysAndAttributes> request = Map.of(tables.steps(),
                    KeysAndAttributes.builder().keys(batch).consistentRead(true).build());
            while (request != null && !request.isEmpty()) {
                Map<String, KeysAndAttributes> r = request;
                BatchGetItemResponse response = dynamo.batchGetItem(b -> b.requestItems(r));
                for (Map<String, AttributeValue> item : response.responses().getOrDefault(tables.steps(), List.of())) {
                    String key = str(item, SK);
                    out.put(key, json(item, "data"));
                }
                request = response.hasUnprocessedKeys() && !response.unprocessedKeys().isEmpty()
                        ? response.unprocessedKeys() : null;
            }
        }
    }

    /** Stores a map's elements, one item each, so that a child reads only its own. */
    public void putElements(String runId, String mapId, JsonNode elements) {
        List<WriteRequest> writes = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++) {
            Map<String, AttributeValue> item = new HashMap<>();
            item.put("runId", s(runId));
            item.put(SK, s(elementKey(mapId, i)));
            item.put("data", json(elements.get(i)));
            writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
        }
        batchWrite(writes);
    }

    public static String elementKey(String mapId, int index) {
        return "item#" + childKey(mapId, index);
    }

    /**
     * A map's children's outputs in index order, null where a child did not complete; null altogether when they
     * come to more than {@code maxBytes} (the map's output then carries only its counts).
     */
    public com.fasterxml.jackson.databind.node.ArrayNode childOutputs(String runId, String mapId, int total, long maxBytes) {
        com.fasterxml.jackson.databind.node.ArrayNode out = io.metronome.domain.Json.MAPPER.createArrayNode();
        for (int i = 0; i < total; i++) {
            out.addNull();
        }
        long bytes = 0;
        String prefix = outputKey(mapId) + "#";
        for (Map<String, AttributeValue> item : Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.steps())
                .keyConditionExpression("runId = :r AND begins_with(#k, :p)")
                .expressionAttributeNames(Map.of("#k", SK))
                .expressionAttributeValues(Map.of(":r", s(runId), ":p", s(prefix)))
                .consistentRead(true).build())) {
            String data = item.get("data").s();
            bytes += data == null ? 4 : data.length() + 1;
            if (bytes > maxBytes) {
                return null;
            }
            int index = Integer.parseInt(str(item, SK).substring(prefix.length()));
            if (index < total) {
                out.set(index, json(item, "data"));
            }
        }
        return out;
    }

    /**
     * Which of a map's children from {@code from} (inclusive) to {@code to} (exclusive) have a stored output, that
     * is, completed: one query over that range of keys, returning the keys only (DynamoDB still charges the read
     * by the items' whole size, which is why the range read ahead stays small: {@code KeptChildren}).
     */
    public java.util.BitSet childrenWithOutput(String runId, String mapId, int from, int to) {
        java.util.BitSet out = new java.util.BitSet();
        if (from >= to) {
            return out;
        }
        String prefix = outputKey(mapId) + "#";
        for (Map<String, AttributeValue> item : Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.steps())
                .keyConditionExpression("runId = :r AND #k BETWEEN :a AND :b")
                .projectionExpression("#k")
                .expressionAttributeNames(Map.of("#k", SK))
                .expressionAttributeValues(Map.of(":r", s(runId), ":a", s("out#" + childKey(mapId, from)),
                        ":b", s("out#" + childKey(mapId, to - 1))))
                .consistentRead(true).build())) {
            out.set(Integer.parseInt(str(item, SK).substring(prefix.length())));
        }
        return out;
    }

    /** Records the decisions a branch node took; the step id keeps repeats of the same attempt on one key. */
    public void putDecisions(String runId, String stepId, List<BranchDecision> decisions) {
        List<WriteRequest> writes = new ArrayList<>();
        for (int i = 0; i < decisions.size(); i++) {
            BranchDecision d = decisions.get(i);
            Map<String, AttributeValue> item = new HashMap<>(RunItems.decisionToAttr(d).m());
            item.put("runId", s(runId));
            item.put(SK, s(SUMMARY + "dec#" + stepId + "#" + String.format("%03d", i)));
            writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
        }
        batchWrite(writes);
    }

    /** Records a thread the run took part in, with when it first did (the summary lists threads in that order). */
    public void putThread(String runId, String threadId, java.time.Instant at) {
        dynamo.updateItem(r -> r.tableName(tables.steps()).key(Items.key("runId", runId, SK, SUMMARY + "thr#" + threadId))
                .updateExpression("SET threadId = :t, firstAt = if_not_exists(firstAt, :at)")
                .expressionAttributeValues(Map.of(":t", s(threadId), ":at", Items.time(at))));
    }

    /** The summary's lists: branch decisions in the order they were taken, and the run's distinct threads. */
    public record SummaryLists(List<BranchDecision> decisions, List<String> threadIds) {
    }

    public SummaryLists summaryLists(String runId) {
        List<BranchDecision> decisions = new ArrayList<>();
        Map<String, String> threads = new java.util.TreeMap<>();
        for (Map<String, AttributeValue> item : Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.steps())
                .keyConditionExpression("runId = :r AND begins_with(#k, :p)")
                .expressionAttributeNames(Map.of("#k", SK))
                .expressionAttributeValues(Map.of(":r", s(runId), ":p", s(SUMMARY)))
                .consistentRead(true).build())) {
            if (str(item, SK).startsWith(SUMMARY + "dec#")) {
                decisions.add(RunItems.decisionFromAttr(item));
            } else {
                threads.put(str(item, "firstAt") + "#" + str(item, "threadId"), str(item, "threadId"));
            }
        }
        return new SummaryLists(decisions, new ArrayList<>(threads.values()));
    }

    private JsonNode get(String runId, String key) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.steps())
                .key(Items.key("runId", runId, SK, key)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? null : json(item, "data");
    }

    private void batchWrite(List<WriteRequest> writes) {
        for (int from = 0; from < writes.size(); from += 25) {
            Map<String, List<WriteRequest>> request = Map.of(tables.steps(), writes.subList(from, Math.min(writes.size(), from + 25)));
            while (request != null && !request.isEmpty()) {
                Map<String, List<WriteRequest>> r = request;
                var response = dynamo.batchWriteItem(b -> b.requestItems(r));
                request = response.hasUnprocessedItems() && !response.unprocessedItems().isEmpty()
                        ? response.unprocessedItems() : null;
            }
        }
    }
}
