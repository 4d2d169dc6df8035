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
 * Every table and stream, behind one read-write lock: reads share it, and each write (a single item, a batch's item,
 * a whole transaction) holds it alone from its condition check to its commit. That makes every write and
 * transaction atomic and linearizable, and gives each change of an item its stream record in the order of the
 * changes (one sequence across the emulator, so also in every shard). With a data directory every committed change
 * is journalled before it is applied, with what its stream records need to be made again on replay.
 */
final class Database implements AutoCloseable {
    /** DynamoDB deletes nothing whose expiry is more than five years past: such a value is taken as not a TTL. */
    private static final long TTL_IGNORED_AFTER_SECONDS = 5L * 365 * 24 * 3600;

    /** One item's change: the item as it will be, or null to delete it. */
    record Write(Table table, PrimaryKey key, Map<String, Value> item) {
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final NavigableMap<String, Table> tables = new TreeMap<>();
    /** Every stream by ARN: enabled ones, and disabled ones (of live or deleted tables) until they expire. */
    private final NavigableMap<String, Stream> streams = new TreeMap<>();
    /** The next sequence number's ordinal: shards reserve one when they open, records take one each. */
    private long nextOrdinal = 1;
    private final long streamBudgetBytes;
    private final Journal journal;
    final Clock clock;

    Database(Path dataDir, boolean sync, long compactAfterBytes, Clock clock, long streamBudgetBytes) {
        this.clock = clock;
        this.streamBudgetBytes = streamBudgetBytes;
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

    /** Creates a table, with a stream of that view type unless it is null. */
    void createTable(Table table, String streamViewType) {
        Stream stream = streamViewType == null ? null : newStream(table, streamViewType);
        ObjectNode r = createRecord(table);
        if (stream != null) {
            r.set("stream", stream.meta());
        }
        record(r);
        tables.put(table.name, table);
        if (stream != null) {
            attach(table, stream);
        }
    }

    /** Deletes a table; its stream, if enabled, is disabled and stays readable for its 24 hours, as in DynamoDB. */
    void deleteTable(Table table) {
        long at = clock.millis();
        ObjectNode r = Codec.JSON.objectNode().put("op", "DeleteTable").put("table", table.name).put("at", at);
        record(r);
        tables.remove(table.name);
        if (table.enabledStream() != null) {
            table.enabledStream().close(at);
        }
    }

    /** Enables a new stream on a table that has none enabled. */
    void enableStream(Table table, String viewType) {
        Stream stream = newStream(table, viewType);
        ObjectNode r = Codec.JSON.objectNode().put("op", "UpdateStream").put("table", table.name);
        r.set("enable", stream.meta());
        record(r);
        attach(table, stream);
    }

    /** Disables a table's enabled stream: its shard closes, its records stay readable until they expire. */
    void disableStream(Table table) {
        long at = clock.millis();
        record(Codec.JSON.objectNode().put("op", "UpdateStream").put("table", table.name).put("disable", at));
        table.enabledStream().close(at);
    }

    private Stream newStream(Table table, String viewType) {
        return Stream.create(table, viewType, clock.millis(), nextOrdinal++, streams::containsKey);
    }

    private void attach(Table table, Stream stream) {
        streams.put(stream.arn, stream);
        table.latestStream = stream;
    }

    // ---- streams (call with a lock held)

    /** The stream, or null when there is none by that ARN or it has expired. */
    Stream stream(String arn) {
        Stream s = streams.get(arn);
        return s == null || s.isExpired(clock.millis()) ? null : s;
    }

    /** Every stream not yet expired, in ARN order, from after {@code exclusiveStart} (null: from the first). */
    Iterable<Stream> streamsAfter(String exclusiveStart) {
        long now = clock.millis();
        var rest = exclusiveStart == null ? streams.values() : streams.tailMap(exclusiveStart, false).values();
        return () -> rest.stream().filter(st -> !st.isExpired(now)).iterator();
    }

    private boolean isLatest(Stream s) {
        Table t = tables.get(s.tableName);
        return t != null && t.latestStream == s;
    }

    /** The highest ordinal given out so far: no sequence number beyond it exists yet. */
    long lastOrdinal() {
        return nextOrdinal - 1;
    }

    /**
     * Frees the memory of stream records past their 24 hours, and of streams disabled that long. Readers already
     * treat them as gone; this only reclaims them, under the write lock, and only when there is something to do.
     */
    void trimStreams() {
        long now = clock.millis();
        long cutoff = now - Stream.RETENTION_MILLIS;
        boolean due = read(() -> streams.values().stream()
                .anyMatch(st -> (st.isExpired(now) && !isLatest(st)) || st.hasRecordsBefore(cutoff)));
        if (due) {
            write(() -> {
                // A table's latest stream stays known (its ARN and label in DescribeTable), with no records.
                streams.values().removeIf(st -> st.isExpired(now) && !isLatest(st));
                streams.values().forEach(st -> st.trimBefore(cutoff));
                return null;
            });
        }
    }

    void setTimeToLive(Table table, String attribute, boolean enabled) {
        record(ttlRecord(table.name, attribute, enabled));
        table.ttlAttribute = attribute;
        table.ttlEnabled = enabled;
    }

    /** Applies writes as one change: journalled as one record, so a restart sees all of them or none. */
    void commit(List<Write> writes) {
        commit(writes, false);
    }

    /**
     * Applies writes, each making a stream record if its table has a stream and the write changes the item. The
     * writes of one call touch different items (batches and transactions refuse two on one item), so each one's
     * item before is the table's item now.
     */
    private void commit(List<Write> writes, boolean byTimeToLive) {
        if (writes.isEmpty()) {
            return;
        }
        List<StreamRecord> changes = new ArrayList<>(writes.size());
        for (Write w : writes) {
            Stream stream = w.table().enabledStream();
            StreamRecord change = stream == null ? null : StreamRecord.of(stream.viewType, w.table().key, w.key(),
                    w.table().get(w.key()), w.item(), nextOrdinal, stream.nextCreatedMillis(clock.millis()),
                    StreamRecord.newEventId(), byTimeToLive);
            if (change != null) {
                nextOrdinal++;
            }
            changes.add(change);
        }
        record(writeRecord(writes, changes, byTimeToLive));
        for (int i = 0; i < writes.size(); i++) {
            Write w = writes.get(i);
            w.table().write(w.key(), w.item());
            if (changes.get(i) != null) {
                w.table().enabledStream().append(changes.get(i), streamBudgetBytes);
            }
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
            commit(expired, true);
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

    /**
     * The writes of one commit. A write that made a stream record carries the record's sequence, time and event
     * ID: its images are the items before and after, which replaying the journal in order has at hand.
     */
    private static ObjectNode writeRecord(List<Write> writes, List<StreamRecord> changes, boolean byTimeToLive) {
        ObjectNode r = Codec.JSON.objectNode().put("op", "Write");
        if (byTimeToLive) {
            r.put("expiry", true);
        }
        ArrayNode a = r.putArray("writes");
        for (int i = 0; i < writes.size(); i++) {
            Write w = writes.get(i);
            ObjectNode o = a.addObject().put("table", w.table().name);
            if (w.item() == null) {
                o.set("key", Codec.json(w.table().key.keyItem(w.key())));
            } else {
                o.set("item", Codec.json(w.item()));
            }
            StreamRecord change = changes == null ? null : changes.get(i);
            if (change != null) {
                o.putObject("stream").put("seq", change.ordinal()).put("at", change.createdMillis())
                        .put("id", change.eventId());
            }
        }
        return r;
    }

    private List<JsonNode> snapshotRecords() {
        List<JsonNode> records = new ArrayList<>();
        records.add(Codec.JSON.objectNode().put("op", "Sequence").put("next", nextOrdinal));
        for (Table t : tables.values()) {
            records.add(createRecord(t));
            if (t.ttlAttribute != null) {
                records.add(ttlRecord(t.name, t.ttlAttribute, t.ttlEnabled));
            }
            List<Write> batch = new ArrayList<>();
            for (Map.Entry<PrimaryKey, Map<String, Value>> e : t.items.entrySet()) {
                batch.add(new Write(t, e.getKey(), e.getValue()));
                if (batch.size() == 100) {
                    records.add(writeRecord(batch, null, false));
                    batch = new ArrayList<>();
                }
            }
            if (!batch.isEmpty()) {
                records.add(writeRecord(batch, null, false));
            }
        }
        long now = clock.millis();
        for (Stream s : streams.values()) {
            if (s.isExpired(now) && !isLatest(s)) {
                continue;
            }
            ObjectNode meta = s.snapshotMeta().put("op", "Stream");
            meta.put("latest", isLatest(s));
            records.add(meta);
            List<StreamRecord> kept = s.records();
            for (int i = 0; i < kept.size(); i += 100) {
                ObjectNode chunk = Codec.JSON.objectNode().put("op", "StreamRecords").put("arn", s.arn);
                ArrayNode a = chunk.putArray("records");
                kept.subList(i, Math.min(kept.size(), i + 100)).forEach(rec -> a.add(rec.toSnapshot()));
                records.add(chunk);
            }
        }
        return records;
    }

    private void replay(JsonNode r) {
        switch (r.get("op").asText()) {
            case "Sequence" -> seen(r.get("next").asLong() - 1);
            case "CreateTable" -> {
                Table t = TableDefinition.build((ObjectNode) r.get("request"), r.get("created").asDouble(),
                        r.get("tableId").asText());
                tables.put(t.name, t);
                if (r.has("stream")) {
                    attach(t, replayedStream(r.get("stream")));
                }
            }
            case "DeleteTable" -> {
                Table t = tables.remove(r.get("table").asText());
                if (t != null && t.enabledStream() != null) {
                    t.enabledStream().close(r.get("at").asLong());
                }
            }
            case "UpdateStream" -> {
                Table t = tables.get(r.get("table").asText());
                if (r.has("enable")) {
                    attach(t, replayedStream(r.get("enable")));
                } else {
                    t.enabledStream().close(r.get("disable").asLong());
                }
            }
            case "Stream" -> {
                Stream s = replayedStream(r);
                streams.put(s.arn, s);
                Table t = tables.get(s.tableName);
                if (r.path("latest").asBoolean(false) && t != null && t.tableId.equals(s.tableId)) {
                    t.latestStream = s;
                }
            }
            case "StreamRecords" -> {
                Stream s = streams.get(r.get("arn").asText());
                for (JsonNode rec : r.get("records")) {
                    StreamRecord change = StreamRecord.fromSnapshot(rec);
                    seen(change.ordinal());
                    s.append(change, streamBudgetBytes);
                }
            }
            case "UpdateTimeToLive" -> {
                Table t = tables.get(r.get("table").asText());
                t.ttlAttribute = r.get("attribute").asText();
                t.ttlEnabled = r.get("enabled").asBoolean();
            }
            case "Write" -> {
                boolean byTimeToLive = r.path("expiry").asBoolean(false);
                for (JsonNode w : r.get("writes")) {
                    Table t = tables.get(w.get("table").asText());
                    Map<String, Value> item = w.has("item") ? Items.copy(Codec.item(w.get("item"))) : null;
                    PrimaryKey k = t.key.keyOf(item != null ? item : Codec.item(w.get("key")));
                    JsonNode change = w.get("stream");
                    Stream stream = t.enabledStream();
                    if (change != null && stream != null) {
                        StreamRecord rec = StreamRecord.of(stream.viewType, t.key, k, t.get(k), item,
                                change.get("seq").asLong(), change.get("at").asLong(), change.get("id").asText(),
                                byTimeToLive);
                        seen(change.get("seq").asLong());
                        if (rec != null) {
                            stream.append(rec, streamBudgetBytes);
                        }
                    }
                    t.write(k, item);
                }
            }
            default -> throw new IllegalStateException("unknown journal record " + r.get("op"));
        }
    }

    private Stream replayedStream(JsonNode meta) {
        Stream s = Stream.fromMeta(meta);
        seen(s.start);
        seen(meta.path("trimmedThrough").asLong(0));
        seen(meta.path("end").asLong(0));
        return s;
    }

    /** A replayed ordinal: the counter goes on past every one, so sequence numbers keep growing after a restart. */
    private void seen(long ordinal) {
        nextOrdinal = Math.max(nextOrdinal, ordinal + 1);
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
