package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.UUID;

/**
 * One change of one item, as its stream keeps it: only the images the stream's view type records (KEYS_ONLY keeps
 * none), so a stream's memory is what a reader can be given.
 *
 * @param ordinal the sequence number's ordinal (see {@link SequenceNumbers})
 * @param createdMillis when the change was committed, never earlier than the record before it in its shard
 * @param byTimeToLive a deletion by the TTL process, which DynamoDB marks with a service identity
 */
record StreamRecord(long ordinal, String eventName, Map<String, Value> keys, Map<String, Value> oldImage,
                    Map<String, Value> newImage, long createdMillis, String eventId, boolean byTimeToLive) {
    static final String VERSION = "1.1";

    /** The kind of change from one item to the next, or null when nothing changed (which makes no record). */
    static String eventName(Map<String, Value> before, Map<String, Value> after) {
        if (before == null) {
            return after == null ? null : "INSERT";
        }
        if (after == null) {
            return "REMOVE";
        }
        return before.equals(after) ? null : "MODIFY";
    }

    /** The record of a change, keeping the images the view type asks for; null when the write changed nothing. */
    static StreamRecord of(String viewType, KeySchema key, PrimaryKey k, Map<String, Value> before,
                           Map<String, Value> after, long ordinal, long createdMillis, String eventId,
                           boolean byTimeToLive) {
        String event = eventName(before, after);
        if (event == null) {
            return null;
        }
        boolean keepOld = viewType.equals("OLD_IMAGE") || viewType.equals("NEW_AND_OLD_IMAGES");
        boolean keepNew = viewType.equals("NEW_IMAGE") || viewType.equals("NEW_AND_OLD_IMAGES");
        return new StreamRecord(ordinal, event, Items.copy(key.keyItem(k)), keepOld ? before : null,
                keepNew ? after : null, createdMillis, eventId, byTimeToLive);
    }

    static String newEventId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    /** SizeBytes: the keys and the images the record carries, sized as DynamoDB sizes items. */
    long sizeBytes() {
        return Items.size(keys) + Items.size(oldImage) + Items.size(newImage);
    }

    /** The record as GetRecords answers it. */
    ObjectNode toJson(String viewType) {
        ObjectNode r = Codec.JSON.objectNode();
        r.put("eventID", eventId);
        r.put("eventName", eventName);
        r.put("eventVersion", VERSION);
        r.put("eventSource", "aws:dynamodb");
        r.put("awsRegion", DynamoDbEmulator.REGION);
        ObjectNode d = r.putObject("dynamodb");
        // DynamoDB rounds the time down to the second.
        d.put("ApproximateCreationDateTime", Math.floorDiv(createdMillis, 1000));
        d.set("Keys", Codec.json(keys));
        if (newImage != null) {
            d.set("NewImage", Codec.json(newImage));
        }
        if (oldImage != null) {
            d.set("OldImage", Codec.json(oldImage));
        }
        d.put("SequenceNumber", SequenceNumbers.format(ordinal));
        d.put("SizeBytes", sizeBytes());
        d.put("StreamViewType", viewType);
        if (byTimeToLive) {
            ObjectNode identity = r.putObject("userIdentity");
            identity.put("PrincipalId", "dynamodb.amazonaws.com");
            identity.put("Type", "Service");
        }
        return r;
    }

    /** The record whole, for a snapshot of the data directory. */
    ObjectNode toSnapshot() {
        ObjectNode r = Codec.JSON.objectNode();
        r.put("seq", ordinal).put("event", eventName).put("at", createdMillis).put("id", eventId);
        r.set("keys", Codec.json(keys));
        if (oldImage != null) {
            r.set("old", Codec.json(oldImage));
        }
        if (newImage != null) {
            r.set("new", Codec.json(newImage));
        }
        if (byTimeToLive) {
            r.put("ttl", true);
        }
        return r;
    }

    static StreamRecord fromSnapshot(JsonNode r) {
        return new StreamRecord(r.get("seq").asLong(), r.get("event").asText(), image(r.get("keys")),
                image(r.get("old")), image(r.get("new")), r.get("at").asLong(), r.get("id").asText(),
                r.path("ttl").asBoolean(false));
    }

    private static Map<String, Value> image(JsonNode node) {
        return node == null ? null : Items.copy(Codec.item(node));
    }
}
