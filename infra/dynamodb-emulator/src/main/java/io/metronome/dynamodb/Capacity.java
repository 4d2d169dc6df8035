package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Capacity units a request consumed, by DynamoDB's rules, and their ReturnConsumedCapacity form. A write unit is
 * 1 KB of item, rounded up per item and per index entry written; a read unit is 4 KB, halved for an eventually
 * consistent read; transactions cost twice.
 */
final class Capacity {
    enum Mode { NONE, TOTAL, INDEXES }

    private static final class Units {
        double table;
        final Map<String, Double> global = new LinkedHashMap<>();
        final Map<String, Double> local = new LinkedHashMap<>();

        double total() {
            return table + global.values().stream().mapToDouble(Double::doubleValue).sum()
                    + local.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    private final Mode mode;
    private final boolean read;
    /** Transactions report ReadCapacityUnits / WriteCapacityUnits beside CapacityUnits; other calls do not. */
    private final boolean split;
    private final Map<String, Units> byTable = new LinkedHashMap<>();

    Capacity(JsonNode request, boolean read, boolean split) {
        this.mode = Mode.valueOf(Requests.choice(request, "ReturnConsumedCapacity", List.of("INDEXES", "TOTAL", "NONE"),
                "NONE"));
        this.read = read;
        this.split = split;
    }

    static double writeUnits(long bytes) {
        return Math.max(1, Math.ceil(bytes / 1024.0));
    }

    static double readUnits(long bytes, boolean consistent) {
        return Math.max(1, Math.ceil(bytes / 4096.0)) * (consistent ? 1 : 0.5);
    }

    void table(String table, double units) {
        byTable.computeIfAbsent(table, t -> new Units()).table += units;
    }

    void index(String table, Index index, double units) {
        Units u = byTable.computeIfAbsent(table, t -> new Units());
        (index.global ? u.global : u.local).merge(index.name, units, Double::sum);
    }

    /**
     * The units of one item's write: the larger of the item before and after, plus each index entry written (a
     * new or removed entry one write, a changed index key two, changed projected attributes one, else none).
     */
    void itemWrite(Table t, Map<String, Value> before, Map<String, Value> after, double factor) {
        table(t.name, writeUnits(Math.max(Items.size(before), Items.size(after))) * factor);
        for (Index index : t.indexes.values()) {
            Map<String, Value> was = index.project(before);
            Map<String, Value> now = index.project(after);
            double units;
            if (was == null && now == null) {
                continue;
            } else if (was == null) {
                units = writeUnits(Items.size(now));
            } else if (now == null) {
                units = writeUnits(Items.size(was));
            } else if (!index.entryKey(was).equals(index.entryKey(now))) {
                units = writeUnits(Items.size(was)) + writeUnits(Items.size(now));
            } else if (was.equals(now)) {
                continue;
            } else {
                units = writeUnits(Math.max(Items.size(was), Items.size(now)));
            }
            index(t.name, index, units * factor);
        }
    }

    /** Puts ConsumedCapacity (one table's) into a response, if the request asked for it. */
    void report(ObjectNode response) {
        if (mode != Mode.NONE && !byTable.isEmpty()) {
            Map.Entry<String, Units> only = byTable.entrySet().iterator().next();
            response.set("ConsumedCapacity", json(only.getKey(), only.getValue()));
        }
    }

    /** Puts ConsumedCapacity (a list, a table an entry) into a batch or transaction response. */
    void reportList(ObjectNode response) {
        if (mode != Mode.NONE) {
            ArrayNode a = response.putArray("ConsumedCapacity");
            byTable.forEach((t, u) -> a.add(json(t, u)));
        }
    }

    private JsonNode json(String tableName, Units u) {
        ObjectNode o = Codec.JSON.objectNode();
        o.put("TableName", tableName);
        units(o, u.total());
        if (mode == Mode.INDEXES) {
            units(o.putObject("Table"), u.table);
            if (!u.global.isEmpty()) {
                ObjectNode g = o.putObject("GlobalSecondaryIndexes");
                u.global.forEach((name, units) -> units(g.putObject(name), units));
            }
            if (!u.local.isEmpty()) {
                ObjectNode l = o.putObject("LocalSecondaryIndexes");
                u.local.forEach((name, units) -> units(l.putObject(name), units));
            }
        }
        return o;
    }

    private void units(ObjectNode o, double units) {
        o.put("CapacityUnits", units);
        if (split) {
            o.put(read ? "ReadCapacityUnits" : "WriteCapacityUnits", units);
        }
    }
}
