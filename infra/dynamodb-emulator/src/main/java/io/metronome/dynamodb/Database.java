package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Every table, behind one read-write lock: reads share it, and each write (a single item, a batch's item, a whole
 * transaction) holds it alone from its condition check to its commit. That makes every write and transaction
 * atomic and linearizable. With a data directory every committed change is journalled before it is applied.
 */
final class Database implements AutoCloseable {
    /** DynamoDB deletes nothing whose expiry is more than five years past: such a value is taken as not a TTL. */
    private static final long TTL_IGNORED_AFTER_SECONDS = 5L * 365 * 24 * 3600;

    /** One item's change: the item as it will be, or null to delete it. */
    record Write(Table table, PrimaryKey key, Map<String, Value> item) {
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final NavigableMap<String, Table> tables = new TreeMap<>();
    private final Journal journal;
    final Clock clock;

    Database(Path dataDir, boolean sync, long compactAfterBytes, Clock clock) {
        this.clock = clock;
        this.journal = dataDir == null ? null : new Journal(dataDir, sync, compactAfterBytes);
        if (journal != null) {
            journal.load(this::replay);
            journal.snapshot(snapshotRecords());
        }
    }

    <T> T read(Supplier<T> action) {
        lock.readLock().lock();
        try {
            return action.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    <T> T write(Supplier<T> action) {
        lock.writeLock().lock();
        try {
            return action.get();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The table, or DynamoDB's ResourceNotFoundException. Call with the lock held. */
    Table table(String name) {
        Table t = tables.get(name);
        if (t == null) {
            throw DynamoDbException.tableNotFound();
        }
        return t;
    }

    Table findTable(String name) {
        return tables.get(name);
    }

    NavigableMap<String, Table> tables() {
        return tables;
    }

    // ---- changes (call with the write lock held)

    void createTable(Table table) {
        record(createRecord(table));
        tables.put(table.name, table);
    }

    void deleteTable(Table table) {
        ObjectNode r = Codec.JSON.objectNode().put("op", "DeleteTable").put("table", table.name);
        record(r);
        tables.remove(table.name);
    }

    void setTimeToLive(Table table, String attribute, boolean enabled) {
        record(ttlRecord(table.name, attribute, enabled));
        table.ttlAttribute = attribute;
        table.ttlEnabled = enabled;
    }

    /** Applies writes as one change: journalled as one record, so a restart sees all of them or none. */
    void commit(List<Write> writes) {
        if (writes.isEmpty()) {
            return;
        }
        record(writeRecord(writes));
        for (Write w : writes) {
            w.table().write(w.key(), w.item());
        }
        if (journal != null && journal.wantsCompaction()) {
            try {
                journal.snapshot(snapshotRecords());
            } catch (RuntimeException e) {
                // The writes above are journalled and applied: they stand. The journal is folded next time.
                System.err.println("[dynamodb-emulator] could not compact the journal: " + e);
            }
        }
    }

    private void record(JsonNode r) {
        if (journal != null) {
            journal.append(r);
        }
    }

    // ---- time to live

    /**
     * Deletes the items whose TTL attribute has passed, in every table that has TTL enabled. They are found under
     * the read lock (readers go on meanwhile) and deleted under the write lock if they are still there unchanged.
     */
    int deleteExpiredItems() {
        long now = clock.millis() / 1000;
        List<Write> candidates = read(() -> {
            List<Write> found = new ArrayList<>();
            for (Table t : tables.values()) {
                if (!t.ttlEnabled) {
                    continue;
                }
                for (Map.Entry<PrimaryKey, Map<String, Value>> e : t.items.entrySet()) {
                    if (isExpired(t, e.getValue(), now)) {
                        found.add(new Write(t, e.getKey(), e.getValue()));
                    }
                }
            }
            return found;
        });
        if (candidates.isEmpty()) {
            return 0;
        }
        return write(() -> {
            List<Write> expired = new ArrayList<>();
            for (Write c : candidates) {
                // Judged again: a write or a TTL change since the search may have saved it.
                if (tables.get(c.table().name) == c.table() && isExpired(c.table(), c.table().get(c.key()), now)) {
                    expired.add(new Write(c.table(), c.key(), null));
                }
            }
            commit(expired);
            return expired.size();
        });
    }

    private static boolean isExpired(Table t, Map<String, Value> item, long nowSeconds) {
        return t.ttlEnabled && item != null && item.get(t.ttlAttribute) instanceof Value.N n
                && isExpired(n.value(), nowSeconds);
    }

    private static boolean isExpired(BigDecimal expiry, long nowSeconds) {
        return expiry.compareTo(BigDecimal.valueOf(nowSeconds)) < 0
                && expiry.compareTo(BigDecimal.valueOf(nowSeconds - TTL_IGNORED_AFTER_SECONDS)) > 0;
    }

    // ---- journal records

    private static ObjectNode createRecord(Table t) {
        ObjectNode r = Codec.JSON.objectNode().put("op", "CreateTable");
        r.set("request", t.definition);
        r.put("created", t.creationTime).put("tableId", t.tableId);
        return r;
    }

    private static ObjectNode ttlRecord(String table, String attribute, boolean enabled) {
        ObjectNode r = Codec.JSON.objectNode().put("op", "UpdateTimeToLive").put("table", table);
        r.put("attribute", attribute).put("enabled", enabled);
        return r;
    }

    private static ObjectNode writeRecord(List<Write> writes) {
        ObjectNode r = Codec.JSON.objectNode().put("op", "Write");
        ArrayNode a = r.putArray("writes");
        for (Write w : writes) {
            ObjectNode o = a.addObject().put("table", w.table().name);
            if (w.item() == null) {
                o.set("key", Codec.json(w.table().key.keyItem(w.key())));
            } else {
                o.set("item", Codec.json(w.item()));
            }
        }
        return r;
    }

    private List<JsonNode> snapshotRecords() {
        List<JsonNode> records = new ArrayList<>();
        for (Table t : tables.values()) {
            records.add(createRecord(t));
            if (t.ttlAttribute != null) {
                records.add(ttlRecord(t.name, t.ttlAttribute, t.ttlEnabled));
            }
            List<Write> batch = new ArrayList<>();
            for (Map.Entry<PrimaryKey, Map<String, Value>> e : t.items.entrySet()) {
                batch.add(new Write(t, e.getKey(), e.getValue()));
                if (batch.size() == 100) {
                    records.add(writeRecord(batch));
                    batch = new ArrayList<>();
                }
            }
            if (!batch.isEmpty()) {
                records.add(writeRecord(batch));
            }
        }
        return records;
    }

    private void replay(JsonNode r) {
        switch (r.get("op").asText()) {
            case "CreateTable" -> {
                Table t = TableDefinition.build((ObjectNode) r.get("request"), r.get("created").asDouble(),
                        r.get("tableId").asText());
                tables.put(t.name, t);
            }
            case "DeleteTable" -> tables.remove(r.get("table").asText());
            case "UpdateTimeToLive" -> {
                Table t = tables.get(r.get("table").asText());
                t.ttlAttribute = r.get("attribute").asText();
                t.ttlEnabled = r.get("enabled").asBoolean();
            }
            case "Write" -> {
                for (JsonNode w : r.get("writes")) {
                    Table t = tables.get(w.get("table").asText());
                    if (w.has("item")) {
                        Map<String, Value> item = Items.copy(Codec.item(w.get("item")));
                        t.write(t.key.keyOf(item), item);
                    } else {
                        t.write(t.key.keyOf(Codec.item(w.get("key"))), null);
                    }
                }
            }
            default -> throw new IllegalStateException("unknown journal record " + r.get("op"));
        }
    }

    @Override
    public void close() {
        write(() -> {
            if (journal != null) {
                journal.close();
            }
            return null;
        });
    }
}
