package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.metronome.dynamodb.TableOperationsTest.validation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GetShardIterator, written from the DynamoDB Streams API Reference "GetShardIterator" (TRIM_HORIZON: the oldest
 * untrimmed record; LATEST: just after the most recent record; AT_SEQUENCE_NUMBER: exactly at a record;
 * AFTER_SEQUENCE_NUMBER: right after it; SequenceNumber of 21 to 40 characters; ResourceNotFoundException for a
 * stream or shard that does not exist; TrimmedDataAccessException for a sequence number older than the trim point,
 * 24 hours) and the Developer Guide ("Data retention limit for DynamoDB Streams": records older than 24 hours are
 * trimmed). The sequence number a shard starts at is where reading all of it starts.
 */
class GetShardIteratorTest extends StreamsConformance {

    private static List<Record> from(String arn, ShardIteratorType type, String sequenceNumber) {
        return readAll(streams, iterator(streams, arn, type, sequenceNumber));
    }

    private static String writeThree(String table) {
        for (int i = 1; i <= 3; i++) {
            String sk = Integer.toString(i);
            dynamo.putItem(r -> r.tableName(table).item(key("a", sk)));
        }
        return streamArn(table);
    }

    private static List<String> sortKeys(List<Record> records) {
        return records.stream().map(r -> r.dynamodb().keys().get("sk").s()).toList();
    }

    @Test
    void trimHorizonReadsFromTheOldestRecord() {
        String arn = writeThree(streamTable(StreamViewType.KEYS_ONLY));
        assertThat(sortKeys(from(arn, ShardIteratorType.TRIM_HORIZON, null))).containsExactly("1", "2", "3");
    }

    @Test
    void latestReadsOnlyWhatIsWrittenAfter() {
        String t = streamTable(StreamViewType.KEYS_ONLY);
        String arn = writeThree(t);
        String latest = iterator(arn, ShardIteratorType.LATEST);
        GetRecordsResponse nothing = streams.getRecords(r -> r.shardIterator(latest));
        assertThat(nothing.records()).isEmpty();
        assertThat(nothing.nextShardIterator()).isNotNull();
        dynamo.putItem(r -> r.tableName(t).item(key("a", "4")));
        assertThat(sortKeys(readAll(streams, nothing.nextShardIterator()))).containsExactly("4");
        // An iterator from before the write, never used, also sees it: it points just after the newest record.
        assertThat(sortKeys(readAll(streams, latest))).containsExactly("4");
    }

    @Test
    void atAndAfterASequenceNumber() {
        String arn = writeThree(streamTable(StreamViewType.KEYS_ONLY));
        List<Record> all = from(arn, ShardIteratorType.TRIM_HORIZON, null);
        String second = all.get(1).dynamodb().sequenceNumber();
        String last = all.get(2).dynamodb().sequenceNumber();
        assertThat(sortKeys(from(arn, ShardIteratorType.AT_SEQUENCE_NUMBER, second))).containsExactly("2", "3");
        assertThat(sortKeys(from(arn, ShardIteratorType.AFTER_SEQUENCE_NUMBER, second))).containsExactly("3");
        assertThat(from(arn, ShardIteratorType.AFTER_SEQUENCE_NUMBER, last)).isEmpty();
        assertThat(from(arn, ShardIteratorType.AT_SEQUENCE_NUMBER, second).get(0)).isEqualTo(all.get(1));

        String start = streams.describeStream(r -> r.streamArn(arn)).streamDescription().shards().get(0)
                .sequenceNumberRange().startingSequenceNumber();
        assertThat(sortKeys(from(arn, ShardIteratorType.AT_SEQUENCE_NUMBER, start))).containsExactly("1", "2", "3");
    }

    @Test
    void latestOnAClosedShardReadsNothingAndEnds() {
        String t = streamTable(StreamViewType.KEYS_ONLY);
        String arn = writeThree(t);
        dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(false)));
        GetRecordsResponse end = streams.getRecords(r -> r.shardIterator(iterator(arn, ShardIteratorType.LATEST)));
        assertThat(end.records()).isEmpty();
        assertThat(end.nextShardIterator()).isNull();
        assertThat(sortKeys(from(arn, ShardIteratorType.TRIM_HORIZON, null))).containsExactly("1", "2", "3");
    }

    @Test
    void refusesParametersOutOfRule() {
        String arn = writeThree(streamTable(StreamViewType.KEYS_ONLY));
        String shard = shardId(streams, arn);
        String seq = from(arn, ShardIteratorType.TRIM_HORIZON, null).get(0).dynamodb().sequenceNumber();
        for (ShardIteratorType type : List.of(ShardIteratorType.AT_SEQUENCE_NUMBER, ShardIteratorType.AFTER_SEQUENCE_NUMBER)) {
            validation(() -> streams.getShardIterator(r -> r.streamArn(arn).shardId(shard).shardIteratorType(type)),
                    "A SequenceNumber is required for ShardIteratorType " + type);
        }
        for (ShardIteratorType type : List.of(ShardIteratorType.TRIM_HORIZON, ShardIteratorType.LATEST)) {
            validation(() -> streams.getShardIterator(r -> r.streamArn(arn).shardId(shard).shardIteratorType(type)
                    .sequenceNumber(seq)), "A SequenceNumber can only be given with");
        }
        validation(() -> streams.getShardIterator(r -> r.streamArn(arn).shardId(shard).shardIteratorType("FIRST")),
                "Member must satisfy enum value set");
        validation(() -> streams.getShardIterator(r -> r.streamArn(arn).shardId(shard)), "Member must not be null");
        validation(() -> streams.getShardIterator(r -> r.streamArn(arn).shardId(shard)
                .shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER).sequenceNumber("123")),
                "Member must have length greater than or equal to 21");
        validation(() -> streams.getShardIterator(r -> r.streamArn(arn).shardId(shard)
                .shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER).sequenceNumber("12345678901234567890x")),
                "Invalid SequenceNumber");
        // Numbers outside the shard: before it started, and past anything written.
        for (String outside : List.of("100000000000000000000", "999999999999999999999999999999")) {
            validation(() -> streams.getShardIterator(r -> r.streamArn(arn).shardId(shard)
                    .shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER).sequenceNumber(outside)), "outside its range");
        }
        assertThatThrownBy(() -> streams.getShardIterator(r -> r.streamArn(arn).shardId("shardId-00000000000000000000-00000000")
                .shardIteratorType(ShardIteratorType.LATEST))).isInstanceOf(ResourceNotFoundException.class);
        String unknown = arn.substring(0, arn.lastIndexOf('/') + 1) + "1999-01-01T00:00:00.000";
        assertThatThrownBy(() -> streams.getShardIterator(r -> r.streamArn(unknown).shardId(shard)
                .shardIteratorType(ShardIteratorType.LATEST))).isInstanceOf(ResourceNotFoundException.class);
        validation(() -> streams.getShardIterator(r -> r.streamArn("arn:aws:dynamodb:us-east-1:000000000000:table/x")
                .shardId(shard).shardIteratorType(ShardIteratorType.LATEST)), "is not the ARN of a stream");
    }

    @Test
    void aSequenceNumberPastTheTrimPointIsTrimmedData() {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        TableOperationsTest.MovableClock clock = new TableOperationsTest.MovableClock(start);
        try (DynamoDbEmulator emulator = DynamoDbEmulator.builder().clock(clock).ttlSweepInterval(Duration.ofHours(1)).build();
             DynamoDbClient client = client(emulator.endpoint());
             DynamoDbStreamsClient streamsClient = streamsClient(emulator.endpoint())) {
            client.createTable(r -> r.tableName("runs").billingMode("PAY_PER_REQUEST")
                    .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                    .keySchema(k -> k.attributeName("pk").keyType("HASH"))
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.KEYS_ONLY)));
            String arn = streamArn(client, "runs");
            client.putItem(r -> r.tableName("runs").item(item("pk", s("old"))));
            clock.now = start.plus(Duration.ofHours(23));
            client.putItem(r -> r.tableName("runs").item(item("pk", s("new"))));
            List<Record> both = readAll(streamsClient, iterator(streamsClient, arn, ShardIteratorType.TRIM_HORIZON));
            assertThat(both).hasSize(2);
            String oldSeq = both.get(0).dynamodb().sequenceNumber();
            String startSeq = streamsClient.describeStream(r -> r.streamArn(arn)).streamDescription().shards().get(0)
                    .sequenceNumberRange().startingSequenceNumber();

            clock.now = start.plus(Duration.ofHours(24)).plusMillis(1); // the first record is past its 24 hours
            for (String trimmed : List.of(oldSeq, startSeq)) {
                assertThatThrownBy(() -> iterator(streamsClient, arn, ShardIteratorType.AT_SEQUENCE_NUMBER, trimmed))
                        .isInstanceOf(TrimmedDataAccessException.class);
            }
            assertThat(readAll(streamsClient, iterator(streamsClient, arn, ShardIteratorType.TRIM_HORIZON, null)))
                    .containsExactly(both.get(1));
            // Right after the trimmed record is the first one kept.
            assertThat(readAll(streamsClient, iterator(streamsClient, arn, ShardIteratorType.AFTER_SEQUENCE_NUMBER, oldSeq)))
                    .containsExactly(both.get(1));
            // Freeing the memory changes nothing a reader sees.
            emulator.trimStreams();
            assertThat(readAll(streamsClient, iterator(streamsClient, arn, ShardIteratorType.TRIM_HORIZON, null)))
                    .containsExactly(both.get(1));
            assertThatThrownBy(() -> iterator(streamsClient, arn, ShardIteratorType.AT_SEQUENCE_NUMBER, oldSeq))
                    .isInstanceOf(TrimmedDataAccessException.class);
        }
    }
}
