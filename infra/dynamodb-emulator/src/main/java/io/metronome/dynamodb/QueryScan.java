package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Query and Scan, on a table or an index. A page reads items in key order from the exclusive start key until it
 * has evaluated Limit items or read 1 MB (both before the filter), and then returns LastEvaluatedKey, even when
 * nothing follows, as DynamoDB does.
 */
final class QueryScan {
    static final long MAX_PAGE_BYTES = 1024 * 1024;
    static final int MAX_SEGMENTS = 1_000_000;
    private static final List<String> SELECTS = List.of("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES",
            "ALL_PROJECTED_ATTRIBUTES");

    private final Database db;

    QueryScan(Database db) {
        this.db = db;
    }

    /** What a request asks for, parsed before the lock is taken. */
    private record Ask(String table, String indexName, Condition filter, List<Path> projection, String select,
                       Integer limit, Map<String, Value> startKey, boolean consistent, Capacity capacity,
                       Placeholders placeholders) {
    }

    private static Ask parse(JsonNode request, boolean query) {
        String table = Requests.tableName(request);
        String indexName = Requests.string(request, "IndexName");
        Requests.refuseLegacy(request, "KeyConditions", "QueryFilter", "ScanFilter", "ConditionalOperator");
        Placeholders p = Requests.placeholders(request, "KeyConditionExpression", "FilterExpression",
                "ProjectionExpression");
        String filterText = Requests.string(request, "FilterExpression");
        Condition filter = filterText == null ? null : ExpressionParser.condition(filterText, "FilterExpression", p);
        List<Path> projection = ItemOperations.projection(request, p);
        String select = Requests.choice(request, "Select", SELECTS, null);
        if (projection != null) {
            if (select == null) {
                select = "SPECIFIC_ATTRIBUTES";
            } else if (!select.equals("SPECIFIC_ATTRIBUTES")) {
                throw DynamoDbException.validation("Cannot specify the ProjectionExpression when choosing to get "
                        + (select.equals("COUNT") ? "only the Count" : select));
            }
        } else if ("SPECIFIC_ATTRIBUTES".equals(select)) {
            throw DynamoDbException.validation("Must specify the AttributesToGet or ProjectionExpression when choosing "
                    + "to get SPECIFIC_ATTRIBUTES");
        }
        if ("ALL_PROJECTED_ATTRIBUTES".equals(select) && indexName == null) {
            throw DynamoDbException.validation("ALL_PROJECTED_ATTRIBUTES can be used only when " + (query ? "Querying"
                    : "Scanning") + " using an IndexName");
        }
        if (select == null) {
            select = indexName == null ? "ALL_ATTRIBUTES" : "ALL_PROJECTED_ATTRIBUTES";
        }
        Integer limit = Requests.integer(request, "Limit", 1, Integer.MAX_VALUE);
        boolean consistent = Requests.bool(request, "ConsistentRead");
        Map<String, Value> startKey = Requests.item(request, "ExclusiveStartKey");
        Capacity capacity = new Capacity(request, true, false);
        return new Ask(table, indexName, filter, projection, select, limit, startKey, consistent, capacity, p);
    }

    ObjectNode query(JsonNode request) {
        Ask ask = parse(request, true);
        Placeholders p = ask.placeholders;
        String keyText = Requests.string(request, "KeyConditionExpression");
        if (keyText == null) {
            throw DynamoDbException.validation("Either the KeyConditions or KeyConditionExpression parameter must be "
                    + "specified in the request.");
        }
        Condition keyCondition = ExpressionParser.condition(keyText, "KeyConditionExpression", p);
        p.checkAllUsed();
        boolean forward = !request.hasNonNull("ScanIndexForward") || Requests.bool(request, "ScanIndexForward");
        return db.read(() -> {
            Table t = db.table(ask.table);
            Index index = ask.indexName == null ? null : t.index(ask.indexName);
            checkReadOptions(ask, index);
            KeySchema schema = index == null ? t.key : index.key;
            KeyCondition kc = KeyCondition.of(keyCondition, schema);
            if (ask.filter != null) {
                for (Path path : Conditions.paths(ask.filter)) {
                    // The key of what is queried (the table's, or the index's): the other key is an attribute here.
                    if (schema.names().contains(path.top())) {
                        throw DynamoDbException.validation("Filter Expression can only contain non-primary key "
                                + "attributes: Primary key attribute: " + path.top());
                    }
                }
            }
            if (index == null) {
                NavigableMap<PrimaryKey, Map<String, Value>> range = kc.tableRange(t.items);
                PrimaryKey start = ask.startKey == null ? null : startPosition(t, null, ask.startKey);
                if (start != null) {
                    checkStart(kc, start.hash(), start.range());
                }
                return page(t, null, ask, range, start, forward, x -> true);
            }
            NavigableMap<Index.EntryKey, Map<String, Value>> range = kc.indexRange(index.entries);
            Index.EntryKey start = ask.startKey == null ? null : indexStart(t, index, ask.startKey);
            if (start != null) {
                checkStart(kc, start.indexKey().hash(), start.indexKey().range());
            }
            return page(t, index, ask, range, start, forward, x -> true);
        });
    }

    ObjectNode scan(JsonNode request) {
        Ask ask = parse(request, false);
        ask.placeholders.checkAllUsed();
        Integer segment = Requests.integer(request, "Segment", 0, MAX_SEGMENTS - 1);
        Integer total = Requests.integer(request, "TotalSegments", 1, MAX_SEGMENTS);
        if (segment != null && total == null) {
            throw DynamoDbException.validation("The TotalSegments parameter is required but was not present in the "
                    + "request when Segment parameter is present");
        }
        if (total != null && segment == null) {
            throw DynamoDbException.validation("The Segment parameter is required but was not present in the request "
                    + "when parameter TotalSegments is present");
        }
        if (segment != null && segment >= total) {
            throw DynamoDbException.validation("The Segment parameter is zero-based and must be less than parameter "
                    + "TotalSegments: Segment: " + segment + " is not less than TotalSegments: " + total);
        }
        return db.read(() -> {
            Table t = db.table(ask.table);
            Index index = ask.indexName == null ? null : t.index(ask.indexName);
            checkReadOptions(ask, index);
            KeySchema schema = index == null ? t.key : index.key;
            Predicate<Map<String, Value>> inSegment = segment == null ? x -> true
                    : item -> segmentOf(item.get(schema.hashName()), total) == segment;
            if (ask.startKey != null && segment != null) {
                Value hash = ask.startKey.get(schema.hashName());
                if (hash != null && segmentOf(hash, total) != segment) {
                    throw DynamoDbException.validation("The provided starting key is invalid: Invalid ExclusiveStartKey. "
                            + "Please use ExclusiveStartKey with correct Segment. TotalSegments: " + total + " Segment: "
                            + segment);
                }
            }
            if (index == null) {
                PrimaryKey start = ask.startKey == null ? null : startPosition(t, null, ask.startKey);
                return page(t, null, ask, t.items, start, true, inSegment);
            }
            Index.EntryKey start = ask.startKey == null ? null : indexStart(t, index, ask.startKey);
            return page(t, index, ask, index.entries, start, true, inSegment);
        });
    }

    private static void checkStart(KeyCondition kc, Value hash, Value range) {
        if (!kc.inPartition(hash)) {
            throw DynamoDbException.validation("The provided starting key is outside query boundaries based on "
                    + "provided conditions");
        }
        if (!kc.contains(hash, range)) {
            throw DynamoDbException.validation("The provided starting key does not match the range key predicate");
        }
    }

    /** Which segment of a parallel scan an item belongs to, by its partition key. */
    static int segmentOf(Value hash, int total) {
        int h = hash.hashCode() * 0x9E3779B9;
        return Math.floorMod(h ^ (h >>> 16), total);
    }

    private static void checkReadOptions(Ask ask, Index index) {
        if (index != null && index.global && ask.consistent) {
            throw DynamoDbException.validation("Consistent reads are not supported on global secondary indexes");
        }
        if (index != null && index.global && ask.select.equals("ALL_ATTRIBUTES") && !index.projectsAll()) {
            throw DynamoDbException.invalidParameter("Select type ALL_ATTRIBUTES is not supported for global secondary "
                    + "index " + index.name + " because its projection type is not ALL");
        }
    }

    private static PrimaryKey startPosition(Table t, Index index, Map<String, Value> startKey) {
        Map<String, Value> keyOnly = new LinkedHashMap<>();
        for (String n : t.key.names()) {
            keyOnly.put(n, startKey.get(n));
        }
        int expected = t.key.names().size();
        if (index == null && startKey.size() != expected) {
            throw invalidStartKey();
        }
        try {
            return t.key.parseKey(keyOnly, "The provided starting key is invalid: The provided key element does not "
                    + "match the schema");
        } catch (DynamoDbException e) {
            throw invalidStartKey();
        }
    }

    private static Index.EntryKey indexStart(Table t, Index index, Map<String, Value> startKey) {
        Set<String> names = new LinkedHashSet<>(t.key.names());
        names.addAll(index.key.names());
        if (!startKey.keySet().equals(names)) {
            throw invalidStartKey();
        }
        PrimaryKey tableKey = startPosition(t, index, startKey);
        for (String n : index.key.names()) {
            String type = n.equals(index.key.hashName()) ? index.key.hashType() : index.key.rangeType();
            if (!startKey.get(n).type().equals(type)) {
                throw invalidStartKey();
            }
        }
        return new Index.EntryKey(index.key.keyOf(startKey), tableKey);
    }

    private static DynamoDbException invalidStartKey() {
        return DynamoDbException.validation("The provided starting key is invalid: The provided key element does not "
                + "match the schema");
    }

    private <K> ObjectNode page(Table t, Index index, Ask ask, NavigableMap<K, Map<String, Value>> range, K start,
                                boolean forward, Predicate<Map<String, Value>> inSegment) {
        NavigableMap<K, Map<String, Value>> view = forward ? range : range.descendingMap();
        if (start != null) {
            view = view.tailMap(start, false);
        }
        int scanned = 0;
        long bytes = 0;
        double fetchUnits = 0;
        Map<String, Value> last = null;
        boolean stopped = false;
        ArrayNode items = Codec.JSON.arrayNode();
        int count = 0;
        boolean fetch = index != null && !index.global && !index.projectsAll() && (ask.select.equals("ALL_ATTRIBUTES")
                || (ask.projection != null && !projected(t, index, ask.projection)));
        for (Map<String, Value> entry : view.values()) {
            if (!inSegment.test(entry)) {
                continue;
            }
            scanned++;
            bytes += Items.size(entry);
            last = entry;
            Map<String, Value> item = entry;
            if (fetch) {
                item = t.get(t.key.keyOf(entry));
                fetchUnits += Capacity.readUnits(Items.size(item), ask.consistent);
            }
            if (ask.filter == null || ask.filter.test(item)) {
                count++;
                if (!ask.select.equals("COUNT")) {
                    items.add(Codec.json(Projection.apply(item, ask.projection)));
                }
            }
            if ((ask.limit != null && scanned == ask.limit) || bytes >= MAX_PAGE_BYTES) {
                stopped = true;
                break;
            }
        }
        ObjectNode response = Codec.JSON.objectNode();
        if (!ask.select.equals("COUNT")) {
            response.set("Items", items);
        }
        response.put("Count", count);
        response.put("ScannedCount", scanned);
        if (stopped) {
            Map<String, Value> key = new LinkedHashMap<>(t.key.keyAttributes(last));
            if (index != null) {
                key.putAll(index.key.keyAttributes(last));
            }
            response.set("LastEvaluatedKey", Codec.json(key));
        }
        double units = Capacity.readUnits(bytes, ask.consistent);
        if (index == null) {
            ask.capacity.table(t.name, units);
        } else {
            ask.capacity.table(t.name, fetchUnits);
            ask.capacity.index(t.name, index, units);
        }
        ask.capacity.report(response);
        return response;
    }

    /** True when every projected path's attribute is in the index's entries. */
    private static boolean projected(Table t, Index index, List<Path> paths) {
        for (Path p : paths) {
            String top = p.top();
            if (!t.key.names().contains(top) && !index.key.names().contains(top)
                    && !index.nonKeyAttributes.contains(top)) {
                return false;
            }
        }
        return true;
    }
}
