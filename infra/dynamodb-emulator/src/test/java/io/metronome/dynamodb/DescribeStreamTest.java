package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.SequenceNumberRange;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardFilterType;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamDescription;
import software.amazon.awssdk.services.dynamodb.model.StreamStatus;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

import java.math.BigInteger;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static io.metronome.dynamodb.TableOperationsTest.validation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * DescribeStream, written from the DynamoDB Streams API Reference "DescribeStream" and "StreamDescription" (StreamArn,
 * StreamLabel, StreamStatus ENABLED or DISABLED, StreamViewType, CreationRequestDateTime, TableName, KeySchema, Shards;
 * Limit up to 100; ExclusiveStartShardId; LastEvaluatedShardId absent on the last page; ResourceNotFoundException
 * for a stream that does not exist), "Shard" and "SequenceNumberRange" (a shard with a StartingSequenceNumber and no
 * EndingSequenceNumber is open; with both it is closed), "SequenceNumber" (21 to 40 digits) and the Developer Guide
 * (Streams.html: "If you disable a stream, any shards that are open will be closed").
 */
class DescribeStreamTest extends StreamsConformance {

    private static StreamDescription describe(String arn) {
        return streams.describeStream(r -> r.streamArn(arn)).streamDescription();
    }

    private static void decimal(String sequenceNumber) {
        assertThat(sequenceNumber).matches("[0-9]{21,40}");
    }

    @Test
    void describesTheStreamAndItsOpenShard() {
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String t = streamTable(StreamViewType.NEW_AND_OLD_IMAGES);
        Instant after = Instant.now().plusSeconds(1);
        String arn = streamArn(t);

        StreamDescription d = describe(arn);
        assertThat(d.streamArn()).isEqualTo(arn);
        assertThat(d.streamLabel()).isEqualTo(dynamo.describeTable(r -> r.tableName(t)).table().latestStreamLabel());
        assertThat(d.streamStatus()).isEqualTo(StreamStatus.ENABLED);
        assertThat(d.streamViewType()).isEqualTo(StreamViewType.NEW_AND_OLD_IMAGES);
        assertThat(d.tableName()).isEqualTo(t);
        assertThat(d.keySchema()).containsExactly(
                KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build());
        assertThat(d.creationRequestDateTime()).isBetween(before, after);
        assertThat(d.lastEvaluatedShardId()).isNull();

        Shard shard = d.shards().get(0);
        assertThat(d.shards()).hasSize(1);
        assertThat(shard.shardId()).hasSizeBetween(28, 65);
        assertThat(shard.parentShardId()).isNull();
        decimal(shard.sequenceNumberRange().startingSequenceNumber());
        assertThat(shard.sequenceNumberRange().endingSequenceNumber()).isNull();
    }

    @Test
    void theShardHoldsTheRecordsFromItsStartingSequenceNumber() {
        String t = streamTable(StreamViewType.KEYS_ONLY);
        String arn = streamArn(t);
        for (int i = 0; i < 3; i++) {
            String sk = Integer.toString(i);
            dynamo.putItem(r -> r.tableName(t).item(key("a", sk)));
        }
        BigInteger start = new BigInteger(describe(arn).shards().get(0).sequenceNumberRange().startingSequenceNumber());
        List<Record> records = records(t);
        assertThat(records).hasSize(3).allMatch(r -> sequence(r).compareTo(start) >= 0);
    }

    @Test
    void disablingClosesTheShardAtItsLastRecord() {
        String t = streamTable(StreamViewType.KEYS_ONLY);
        String arn = streamArn(t);
        dynamo.putItem(r -> r.tableName(t).item(key("a", "1")));
        dynamo.putItem(r -> r.tableName(t).item(key("a", "2")));
        List<Record> written = records(t);
        dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(false)));

        StreamDescription d = describe(arn);
        assertThat(d.streamStatus()).isEqualTo(StreamStatus.DISABLED);
        SequenceNumberRange range = d.shards().get(0).sequenceNumberRange();
        decimal(range.endingSequenceNumber());
        assertThat(new BigInteger(range.endingSequenceNumber())).isEqualTo(sequence(written.get(1)))
                .isGreaterThanOrEqualTo(new BigInteger(range.startingSequenceNumber()));
        // Closed, it is still read whole, and the end of it is said by a missing NextShardIterator.
        assertThat(readAll(streams, iterator(arn, ShardIteratorType.TRIM_HORIZON))).isEqualTo(written);

        String empty = streamTable(StreamViewType.KEYS_ONLY);
        String emptyArn = streamArn(empty);
        dynamo.updateTable(r -> r.tableName(empty).streamSpecification(s -> s.streamEnabled(false)));
        SequenceNumberRange none = describe(emptyArn).shards().get(0).sequenceNumberRange();
        assertThat(none.endingSequenceNumber()).isEqualTo(none.startingSequenceNumber());
    }

    @Test
    void pagesShardsFromExclusiveStartShardId() {
        String arn = streamArn(streamTable(StreamViewType.KEYS_ONLY));
        String shard = shardId(streams, arn);
        StreamDescription one = streams.describeStream(r -> r.streamArn(arn).limit(1)).streamDescription();
        assertThat(one.shards()).extracting(Shard::shardId).containsExactly(shard);
        assertThat(one.lastEvaluatedShardId()).isNull();
        // Starting after the last shard lists nothing more.
        StreamDescription rest = streams.describeStream(r -> r.streamArn(arn).exclusiveStartShardId(shard)).streamDescription();
        assertThat(rest.shards()).isEmpty();
        assertThat(rest.streamArn()).isEqualTo(arn);
        // No shard has split off the one shard.
        StreamDescription children = streams.describeStream(r -> r.streamArn(arn)
                .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(shard))).streamDescription();
        assertThat(children.shards()).isEmpty();
    }

    @Test
    void refusesAStreamThatDoesNotExistAndParametersOutOfRange() {
        String arn = streamArn(streamTable(StreamViewType.KEYS_ONLY));
        String unknown = arn.substring(0, arn.lastIndexOf('/') + 1) + "1999-01-01T00:00:00.000";
        assertThatThrownBy(() -> streams.describeStream(r -> r.streamArn(unknown)))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Requested resource not found: Stream: " + unknown + " not found");
        validation(() -> streams.describeStream(r -> r.streamArn("arn:aws:dynamodb:us-east-1:000000000000:not-a-stream")),
                "is not the ARN of a stream");
        validation(() -> streams.describeStream(r -> r.streamArn("arn:aws:dynamodb")),
                "Member must have length greater than or equal to 37");
        validation(() -> streams.describeStream(r -> r.streamArn(arn).limit(101)),
                "Member must have value less than or equal to 100");
        validation(() -> streams.describeStream(r -> r.streamArn(arn).limit(0)),
                "Member must have value greater than or equal to 1");
        validation(() -> streams.describeStream(r -> r.streamArn(arn).exclusiveStartShardId("shardId-1")),
                "Member must have length greater than or equal to 28");
    }
}
