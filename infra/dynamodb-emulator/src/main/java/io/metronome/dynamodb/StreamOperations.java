package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The DynamoDB Streams API (target prefix {@code DynamoDBStreams_20120810}): ListStreams, DescribeStream,
 * GetShardIterator and GetRecords, on the same endpoint as DynamoDB's. All of them only read, under the read lock.
 */
final class StreamOperations {
    static final int MAX_RECORDS = 1000;
    /** GetRecords returns at most 1 MB of records (their SizeBytes), and always at least one when there is one. */
    static final long MAX_RECORD_BYTES = 1024 * 1024;
    static final int MAX_SHARDS = 100;
    static final int MAX_STREAMS = 100;
    static final List<String> ITERATOR_TYPES = List.of("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER",
            "AFTER_SEQUENCE_NUMBER");
    private static final Pattern STREAM_ARN = Pattern.compile(
            "arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]{3,255}/stream/[0-9T:.-]+");

    private final Database db;

    StreamOperations(Database db) {
        this.db = db;
    }

    ObjectNode listStreams(JsonNode request) {
        String table = Requests.string(request, "TableName");
        if (table != null) {
            Requests.checkTableName(table, "tableName", 3);
        }
        String start = streamArn(request, "ExclusiveStartStreamArn", false);
        Integer limitOrNull = Requests.integer(request, "Limit", 1, MAX_STREAMS);
        int limit = limitOrNull == null ? MAX_STREAMS : limitOrNull;
        return db.read(() -> {
            ObjectNode response = Codec.JSON.objectNode();
            ArrayNode out = response.putArray("Streams");
            String last = null;
            for (Stream s : db.streamsAfter(start)) {
                if (table != null && !table.equals(s.tableName)) {
                    continue;
                }
                if (out.size() == limit) {
                    response.put("LastEvaluatedStreamArn", last);
                    break;
                }
                out.addObject().put("StreamArn", s.arn).put("TableName", s.tableName).put("StreamLabel", s.label);
                last = s.arn;
            }
            return response;
        });
    }

    ObjectNode describeStream(JsonNode request) {
        String arn = streamArn(request, "StreamArn", true);
        Integer limitOrNull = Requests.integer(request, "Limit", 1, MAX_SHARDS);
        int limit = limitOrNull == null ? MAX_SHARDS : limitOrNull;
        String exclusiveStart = shardId(request, "ExclusiveStartShardId", false);
        boolean childrenOnly = shardFilter(request);
        return db.read(() -> {
            Stream s = stream(arn);
            ObjectNode response = Codec.JSON.objectNode();
            ObjectNode d = response.putObject("StreamDescription");
            d.put("StreamArn", s.arn);
            d.put("StreamLabel", s.label);
            d.put("StreamStatus", s.isOpen() ? "ENABLED" : "DISABLED");
            d.put("StreamViewType", s.viewType);
            d.put("CreationRequestDateTime", s.createdMillis / 1000.0);
            d.put("TableName", s.tableName);
            d.set("KeySchema", s.keySchema.deepCopy());
            ArrayNode shards = d.putArray("Shards");
            // One shard, which no shard descends from: a filter for child shards finds none.
            boolean listed = !childrenOnly && (exclusiveStart == null || s.shardId.compareTo(exclusiveStart) > 0);
            if (listed) {
                ObjectNode shard = shards.addObject();
                shard.put("ShardId", s.shardId);
                ObjectNode range = shard.putObject("SequenceNumberRange");
                range.put("StartingSequenceNumber", SequenceNumbers.format(s.start));
                if (!s.isOpen()) {
                    range.put("EndingSequenceNumber", SequenceNumbers.format(s.end()));
                }
            }
            return response;
        });
    }

    ObjectNode getShardIterator(JsonNode request) {
        String arn = streamArn(request, "StreamArn", true);
        String shardId = shardId(request, "ShardId", true);
        String type = Requests.choice(request, "ShardIteratorType", ITERATOR_TYPES, null);
        if (type == null) {
            throw Requests.constraint("null", "shardIteratorType", "Member must not be null");
        }
        String sequence = Requests.string(request, "SequenceNumber");
        boolean needsSequence = type.endsWith("_SEQUENCE_NUMBER");
        if (sequence != null) {
            if (sequence.length() < 21 || sequence.length() > 40) {
                throw Requests.constraint("'" + sequence + "'", "sequenceNumber", sequence.length() < 21
                        ? "Member must have length greater than or equal to 21"
                        : "Member must have length less than or equal to 40");
            }
            if (!SequenceNumbers.wellFormed(sequence)) {
                throw DynamoDbException.validation("Invalid SequenceNumber: " + sequence + " (it has digits only)");
            }
        }
        if (needsSequence && sequence == null) {
            throw DynamoDbException.validation("A SequenceNumber is required for ShardIteratorType " + type);
        }
        if (!needsSequence && sequence != null) {
            throw DynamoDbException.validation("A SequenceNumber can only be given with ShardIteratorType "
                    + "AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER, not " + type);
        }
        return db.read(() -> {
            Stream s = stream(arn);
            if (!s.shardId.equals(shardId)) {
                throw DynamoDbException.resourceNotFound("Requested resource not found: Shard: " + shardId
                        + " in Stream: " + arn + " not found");
            }
            long now = db.clock.millis();
            long horizon = s.trimHorizon(now - Stream.RETENTION_MILLIS);
            long after = switch (type) {
                case "TRIM_HORIZON" -> horizon;
                case "LATEST" -> s.lastOrdinal();
                default -> {
                    long ordinal = SequenceNumbers.ordinal(sequence);
                    long newest = s.isOpen() ? db.lastOrdinal() : s.end();
                    if (ordinal < s.start || ordinal > newest) {
                        throw DynamoDbException.validation("Invalid SequenceNumber for shard " + shardId + ": "
                                + sequence + " is outside its range, " + SequenceNumbers.format(s.start) + " to "
                                + SequenceNumbers.format(newest));
                    }
                    yield type.equals("AT_SEQUENCE_NUMBER") ? ordinal - 1 : ordinal;
                }
            };
            if (after < horizon) {
                throw trimmed();
            }
            ObjectNode response = Codec.JSON.objectNode();
            response.put("ShardIterator", new ShardIterator(s.arn, s.shardId, after, now).encode());
            return response;
        });
    }

    ObjectNode getRecords(JsonNode request) {
        String text = Requests.requiredString(request, "ShardIterator");
        if (text.isEmpty() || text.length() > 2048) {
            throw Requests.constraint("'" + (text.length() > 64 ? text.substring(0, 64) + "..." : text) + "'",
                    "shardIterator", text.isEmpty() ? "Member must have length greater than or equal to 1"
                            : "Member must have length less than or equal to 2048");
        }
        Integer limitOrNull = Requests.integer(request, "Limit", 1, MAX_RECORDS);
        int limit = limitOrNull == null ? MAX_RECORDS : limitOrNull;
        ShardIterator iterator = ShardIterator.decode(text);
        return db.read(() -> {
            Stream s = stream(iterator.streamArn());
            long now = db.clock.millis();
            if (iterator.isExpired(now)) {
                throw DynamoDbException.expiredIterator("Iterator expired: it was returned at "
                        + Instant.ofEpochMilli(iterator.issuedMillis()) + " and can be used for 15 minutes; it is now "
                        + Instant.ofEpochMilli(now));
            }
            if (iterator.after() < s.trimHorizon(now - Stream.RETENTION_MILLIS)) {
                throw trimmed();
            }
            List<StreamRecord> records = s.read(iterator.after(), limit, MAX_RECORD_BYTES);
            ObjectNode response = Codec.JSON.objectNode();
            ArrayNode out = response.putArray("Records");
            records.forEach(r -> out.add(r.toJson(s.viewType)));
            long last = records.isEmpty() ? iterator.after() : records.get(records.size() - 1).ordinal();
            // A closed shard read to its end has no next iterator: DynamoDB leaves NextShardIterator out.
            if (s.isOpen() || s.hasRecordsAfter(last)) {
                response.put("NextShardIterator", new ShardIterator(s.arn, s.shardId, last, now).encode());
            }
            return response;
        });
    }

    private Stream stream(String arn) {
        Stream s = db.stream(arn);
        if (s == null) {
            throw DynamoDbException.resourceNotFound("Requested resource not found: Stream: " + arn + " not found");
        }
        return s;
    }

    private static DynamoDbException trimmed() {
        return DynamoDbException.trimmedDataAccess("The operation attempted to read past the oldest stream record in "
                + "a shard: records are kept 24 hours");
    }

    private static String streamArn(JsonNode request, String member, boolean required) {
        String arn = required ? Requests.requiredString(request, member) : Requests.string(request, member);
        if (arn == null) {
            return null;
        }
        if (arn.length() < 37 || arn.length() > 1024) {
            throw Requests.constraint("'" + arn + "'", member, arn.length() < 37
                    ? "Member must have length greater than or equal to 37"
                    : "Member must have length less than or equal to 1024");
        }
        if (!STREAM_ARN.matcher(arn).matches()) {
            throw DynamoDbException.validation("Invalid " + member + ": " + arn + " is not the ARN of a stream");
        }
        return arn;
    }

    private static String shardId(JsonNode request, String member, boolean required) {
        String id = required ? Requests.requiredString(request, member) : Requests.string(request, member);
        if (id != null && (id.length() < 28 || id.length() > 65)) {
            throw Requests.constraint("'" + id + "'", member, id.length() < 28
                    ? "Member must have length greater than or equal to 28"
                    : "Member must have length less than or equal to 65");
        }
        return id;
    }

    /** DescribeStream's ShardFilter: CHILD_SHARDS of a shard is the only kind there is. */
    private static boolean shardFilter(JsonNode request) {
        JsonNode filter = request.get("ShardFilter");
        if (filter == null || filter.isNull()) {
            return false;
        }
        if (!filter.isObject()) {
            throw DynamoDbException.serialization("Start of list found where not expected");
        }
        if (Requests.choice(filter, "Type", List.of("CHILD_SHARDS"), null) == null) {
            throw Requests.constraint("null", "shardFilter.type", "Member must not be null");
        }
        shardId(filter, "ShardId", true);
        return true;
    }
}
