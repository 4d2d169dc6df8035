package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * One DynamoDB stream of a table: its settings and its one shard, which holds the stream's records in sequence
 * order, open until the stream is disabled (or its table deleted), then closed and readable until its records
 * expire. DynamoDB may split a busy stream into several shards; one shard is a shape its API allows, and keeps every
 * record in one order.
 *
 * <p>Records are kept 24 hours, as in DynamoDB: older ones are trimmed. Readers judge that by the clock, so no
 * reader ever gets a record past its time, and the database's sweep removes them from memory. A stream also keeps
 * at most a budget of bytes; past it the oldest records are trimmed early (a reader that far behind is answered
 * as if 24 hours had passed). Not thread-safe: the database's lock guards it (records are appended under the write
 * lock, read under the read lock).
 */
final class Stream {
    static final long RETENTION_MILLIS = Duration.ofHours(24).toMillis();
    /** What a record costs the budget besides its SizeBytes: the object and its small fields. */
    static final long RECORD_OVERHEAD_BYTES = 100;
    static final List<String> VIEW_TYPES = List.of("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY");
    private static final DateTimeFormatter LABEL = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);

    final String arn;
    final String label;
    final String tableName;
    final String tableId;
    final String viewType;
    final JsonNode keySchema;
    final long createdMillis;
    final String shardId;
    /** The ordinal reserved when the shard opened: below every record's, and its StartingSequenceNumber. */
    final long start;

    private Long end;
    private long closedMillis;
    /** Records from index {@code head} on; the ones before it were trimmed (and are nulled for the collector). */
    private final ArrayList<StreamRecord> records = new ArrayList<>();
    private int head;
    /** The highest ordinal trimmed from memory ({@code start - 1} while nothing was). */
    private long trimmedThrough;
    private long retainedBytes;
    private long lastCreatedMillis;

    private Stream(String arn, String label, String tableName, String tableId, String viewType, JsonNode keySchema,
                   long createdMillis, String shardId, long start) {
        this.arn = arn;
        this.label = label;
        this.tableName = tableName;
        this.tableId = tableId;
        this.viewType = viewType;
        this.keySchema = keySchema;
        this.createdMillis = createdMillis;
        this.shardId = shardId;
        this.start = start;
        this.trimmedThrough = start - 1;
        this.lastCreatedMillis = createdMillis;
    }

    /** A new stream for a table; its label is the time, moved on a millisecond while {@code taken} has the ARN. */
    static Stream create(Table table, String viewType, long nowMillis, long start, Predicate<String> taken) {
        long created = nowMillis;
        while (taken.test(arn(table, created))) {
            created++;
        }
        String shardId = String.format("shardId-%020d-%08x", created, ThreadLocalRandom.current().nextInt());
        return new Stream(arn(table, created), LABEL.format(Instant.ofEpochMilli(created)), table.name, table.tableId,
                viewType, table.definition.get("KeySchema").deepCopy(), created, shardId, start);
    }

    private static String arn(Table table, long createdMillis) {
        return table.arn() + "/stream/" + LABEL.format(Instant.ofEpochMilli(createdMillis));
    }

    // ---- state

    boolean isOpen() {
        return end == null;
    }

    /** Closes the shard: it takes no more records, and its last sequence number is its last record's. */
    void close(long atMillis) {
        if (end == null) {
            end = lastOrdinal();
            closedMillis = atMillis;
        }
    }

    /** The EndingSequenceNumber's ordinal, or null while open. */
    Long end() {
        return end;
    }

    /** Gone for good: disabled for 24 hours, so every record it had is past its time too. */
    boolean isExpired(long nowMillis) {
        return end != null && nowMillis - closedMillis >= RETENTION_MILLIS;
    }

    /** The newest record's ordinal (or the start, before the first), whether or not it is still kept. */
    long lastOrdinal() {
        return head < records.size() ? records.get(records.size() - 1).ordinal() : Math.max(start, trimmedThrough);
    }

    /** When the next record may be stamped at the earliest: times never go back within the shard. */
    long nextCreatedMillis(long nowMillis) {
        return Math.max(nowMillis, lastCreatedMillis);
    }

    // ---- changes (under the database's write lock)

    /** Adds a record at the end; trims the oldest ones while the stream is over its budget (the newest stays). */
    void append(StreamRecord r, long budgetBytes) {
        records.add(r);
        retainedBytes += weight(r);
        lastCreatedMillis = r.createdMillis();
        while (retainedBytes > budgetBytes && records.size() - head > 1) {
            trimHead();
        }
    }

    /** Whether some record is past its time and still in memory. */
    boolean hasRecordsBefore(long cutoffMillis) {
        return head < records.size() && records.get(head).createdMillis() < cutoffMillis;
    }

    /** Removes the records created before the cutoff from memory. */
    void trimBefore(long cutoffMillis) {
        while (hasRecordsBefore(cutoffMillis)) {
            trimHead();
        }
    }

    private void trimHead() {
        StreamRecord r = records.set(head++, null);
        retainedBytes -= weight(r);
        trimmedThrough = r.ordinal();
        if (head > 1024 && head > records.size() / 2) {
            records.subList(0, head).clear();
            head = 0;
        }
    }

    private static long weight(StreamRecord r) {
        return r.sizeBytes() + RECORD_OVERHEAD_BYTES;
    }

    // ---- reading (under the read lock; nothing changes)

    /** The highest ordinal a reader can no longer have: trimmed from memory, or created before the cutoff. */
    long trimHorizon(long cutoffMillis) {
        int firstKept = firstCreatedAtOrAfter(cutoffMillis);
        return firstKept > head ? records.get(firstKept - 1).ordinal() : trimmedThrough;
    }

    /** Up to {@code limit} records after an ordinal, as many as fit in {@code maxBytes} of SizeBytes (one at least). */
    List<StreamRecord> read(long after, int limit, long maxBytes) {
        List<StreamRecord> out = new ArrayList<>();
        long bytes = 0;
        for (int i = firstAfter(after); i < records.size() && out.size() < limit; i++) {
            StreamRecord r = records.get(i);
            if (!out.isEmpty() && bytes + r.sizeBytes() > maxBytes) {
                break;
            }
            bytes += r.sizeBytes();
            out.add(r);
        }
        return out;
    }

    boolean hasRecordsAfter(long ordinal) {
        return firstAfter(ordinal) < records.size();
    }

    /** The records kept, oldest first (for a snapshot). */
    List<StreamRecord> records() {
        return records.subList(head, records.size());
    }

    private int firstAfter(long ordinal) {
        int lo = head;
        int hi = records.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (records.get(mid).ordinal() <= ordinal) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private int firstCreatedAtOrAfter(long millis) {
        int lo = head;
        int hi = records.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (records.get(mid).createdMillis() < millis) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    // ---- the data directory

    /** What makes the stream, without its records: journalled when it is enabled, and in every snapshot. */
    ObjectNode meta() {
        ObjectNode m = Codec.JSON.objectNode();
        m.put("arn", arn).put("label", label).put("table", tableName).put("tableId", tableId);
        m.put("viewType", viewType).put("created", createdMillis).put("shardId", shardId).put("start", start);
        m.set("keySchema", keySchema.deepCopy());
        return m;
    }

    /** The meta and the state a snapshot needs besides the records themselves. */
    ObjectNode snapshotMeta() {
        ObjectNode m = meta();
        m.put("trimmedThrough", trimmedThrough);
        if (end != null) {
            m.put("end", end).put("closed", closedMillis);
        }
        return m;
    }

    static Stream fromMeta(JsonNode m) {
        Stream s = new Stream(m.get("arn").asText(), m.get("label").asText(), m.get("table").asText(),
                m.get("tableId").asText(), m.get("viewType").asText(), m.get("keySchema").deepCopy(),
                m.get("created").asLong(), m.get("shardId").asText(), m.get("start").asLong());
        if (m.has("trimmedThrough")) {
            s.trimmedThrough = m.get("trimmedThrough").asLong();
        }
        if (m.has("end")) {
            s.end = m.get("end").asLong();
            s.closedMillis = m.get("closed").asLong();
        }
        return s;
    }
}
