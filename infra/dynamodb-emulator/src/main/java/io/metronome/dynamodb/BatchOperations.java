package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BatchGetItem and BatchWriteItem. Every request of a batch is checked before any is carried out; the emulator
 * is never throttled, so UnprocessedItems is always empty and UnprocessedKeys holds only what would pass
 * DynamoDB's 16 MB response limit.
 */
final class BatchOperations {
    static final int MAX_GET_KEYS = 100;
    static final int MAX_WRITES = 25;
    static final long MAX_RESPONSE_BYTES = 16L * 1024 * 1024;

    private final Database db;

    BatchOperations(Database db) {
        this.db = db;
    }

    private record GetRequest(String table, JsonNode spec, List<Map<String, Value>> keys, List<Path> projection,
                              boolean consistent) {
    }

    ObjectNode batchGetItem(JsonNode request) {
        JsonNode requestItems = requestItems(request);
        List<GetRequest> gets = new ArrayList<>();
        int total = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = requestItems.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Requests.checkTableName(e.getKey(), "requestItems.key", 3);
            JsonNode spec = e.getValue();
            JsonNode keysNode = spec.get("Keys");
            if (keysNode == null || !keysNode.isArray() || keysNode.isEmpty()) {
                throw Requests.constraint("null", "requestItems." + e.getKey() + ".member.keys",
                        "Member must have length greater than or equal to 1");
            }
            List<Map<String, Value>> keys = new ArrayList<>();
            Set<Map<String, Value>> seen = new HashSet<>();
            for (JsonNode k : keysNode) {
                Map<String, Value> key = Codec.item(k);
                if (!seen.add(key)) {
                    throw DynamoDbException.validation("Provided list of item keys contains duplicates");
                }
                keys.add(key);
            }
            if (keys.size() > MAX_GET_KEYS) {
                throw Requests.constraint("null", "requestItems." + e.getKey() + ".member.keys",
                        "Member must have length less than or equal to " + MAX_GET_KEYS);
            }
            total += keys.size();
            Placeholders p = Requests.placeholders(spec, "ProjectionExpression");
            List<Path> projection = ItemOperations.projection(spec, p);
            p.checkAllUsed();
            gets.add(new GetRequest(e.getKey(), spec, keys, projection, Requests.bool(spec, "ConsistentRead")));
        }
        if (total > MAX_GET_KEYS) {
            throw DynamoDbException.validation("Too many items requested for the BatchGetItem call");
        }
        Capacity capacity = new Capacity(request, true, false);
        return db.read(() -> {
            List<Table> tables = new ArrayList<>();
            List<List<PrimaryKey>> keys = new ArrayList<>();
            for (GetRequest g : gets) {
                Table t = db.table(g.table);
                tables.add(t);
                List<PrimaryKey> parsed = new ArrayList<>();
                g.keys.forEach(k -> parsed.add(t.parseKey(k)));
                keys.add(parsed);
            }
            ObjectNode response = Codec.JSON.objectNode();
            ObjectNode responses = response.putObject("Responses");
            ObjectNode unprocessed = response.putObject("UnprocessedKeys");
            long bytes = 0;
            for (int i = 0; i < gets.size(); i++) {
                GetRequest g = gets.get(i);
                Table t = tables.get(i);
                ArrayNode found = responses.putArray(g.table);
                ArrayNode left = null;
                for (int j = 0; j < keys.get(i).size(); j++) {
                    Map<String, Value> item = t.get(keys.get(i).get(j));
                    long size = Items.size(item);
                    if (bytes + size > MAX_RESPONSE_BYTES) {
                        if (left == null) {
                            ObjectNode rest = g.spec.deepCopy();
                            left = rest.putArray("Keys");
                            unprocessed.set(g.table, rest);
                        }
                        left.add(Codec.json(g.keys.get(j)));
                        continue;
                    }
                    bytes += size;
                    capacity.table(t.name, Capacity.readUnits(size, g.consistent));
                    if (item != null) {
                        found.add(Codec.json(Projection.apply(item, g.projection)));
                    }
                }
            }
            capacity.reportList(response);
            return response;
        });
    }

    private record WriteRequest(String table, Map<String, Value> item, Map<String, Value> key) {
    }

    ObjectNode batchWriteItem(JsonNode request) {
        JsonNode requestItems = requestItems(request);
        List<WriteRequest> writes = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = requestItems.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Requests.checkTableName(e.getKey(), "requestItems.key", 3);
            JsonNode list = e.getValue();
            if (!list.isArray() || list.isEmpty() || list.size() > MAX_WRITES) {
                throw Requests.constraint("'" + requestItems + "'", "requestItems", "Map value must satisfy constraint: "
                        + "[Member must have length less than or equal to 25, Member must have length greater than or "
                        + "equal to 1]");
            }
            for (JsonNode w : list) {
                JsonNode put = w.get("PutRequest");
                JsonNode delete = w.get("DeleteRequest");
                if (!w.isObject() || (put == null) == (delete == null) || !(put != null ? put : delete).isObject()) {
                    throw DynamoDbException.validation("A WriteRequest must contain exactly one of PutRequest and "
                            + "DeleteRequest, each an object");
                }
                Map<String, Value> item = put == null ? null : Codec.item(put.get("Item"));
                Map<String, Value> key = delete == null ? null : Codec.item(delete.get("Key"));
                if (put != null && item == null || delete != null && key == null) {
                    throw Requests.constraint("null", put != null ? "requestItems.member.putRequest.item"
                            : "requestItems.member.deleteRequest.key", "Member must not be null");
                }
                writes.add(new WriteRequest(e.getKey(), item, key));
            }
        }
        if (writes.size() > MAX_WRITES) {
            throw DynamoDbException.validation("Too many items requested for the BatchWriteItem call");
        }
        Capacity capacity = new Capacity(request, false, false);
        return db.write(() -> {
            List<Database.Write> planned = new ArrayList<>();
            Set<List<Object>> seen = new HashSet<>();
            for (WriteRequest w : writes) {
                Table t = db.table(w.table);
                Map<String, Value> item = w.item == null ? null : ItemOperations.checkPut(t, w.item);
                PrimaryKey k = item != null ? t.key.keyOf(item) : t.parseKey(w.key);
                if (!seen.add(List.of(t.name, k))) {
                    throw DynamoDbException.validation("Provided list of item keys contains duplicates");
                }
                planned.add(new Database.Write(t, k, item));
            }
            Map<Database.Write, Map<String, Value>> before = new LinkedHashMap<>();
            for (Database.Write w : planned) {
                before.put(w, w.table().get(w.key()));
            }
            db.commit(planned);
            before.forEach((w, old) -> capacity.itemWrite(w.table(), old, w.item(), 1));
            ObjectNode response = Codec.JSON.objectNode();
            response.putObject("UnprocessedItems");
            capacity.reportList(response);
            return response;
        });
    }

    private static JsonNode requestItems(JsonNode request) {
        JsonNode items = request.get("RequestItems");
        if (items == null || !items.isObject() || items.isEmpty()) {
            throw Requests.constraint(items == null ? "null" : "'{}'", "requestItems",
                    "Member must have length greater than or equal to 1");
        }
        return items;
    }
}
