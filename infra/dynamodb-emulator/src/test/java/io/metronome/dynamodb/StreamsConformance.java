package io.metronome.dynamodb;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the DynamoDB Streams conformance tests share: tables with streams, and reading a shard through the SDK. */
abstract class StreamsConformance extends Conformance {

    /** A fresh table keyed by pk and sk (S) with a stream of this view type. */
    static String streamTable(StreamViewType viewType) {
        return table(true, b -> b.streamSpecification(s -> s.streamEnabled(true).streamViewType(viewType)));
    }

    static String streamArn(DynamoDbClient client, String table) {
        return client.describeTable(r -> r.tableName(table)).table().latestStreamArn();
    }

    static String streamArn(String table) {
        return streamArn(dynamo, table);
    }

    static String shardId(DynamoDbStreamsClient client, String arn) {
        return client.describeStream(r -> r.streamArn(arn)).streamDescription().shards().get(0).shardId();
    }

    static String iterator(DynamoDbStreamsClient client, String arn, ShardIteratorType type) {
        return iterator(client, arn, type, null);
    }

    static String iterator(DynamoDbStreamsClient client, String arn, ShardIteratorType type, String sequenceNumber) {
        String shard = shardId(client, arn);
        return client.getShardIterator(r -> r.streamArn(arn).shardId(shard).shardIteratorType(type)
                .sequenceNumber(sequenceNumber)).shardIterator();
    }

    static String iterator(String arn, ShardIteratorType type) {
        return iterator(streams, arn, type);
    }

    /**
     * Every record from an iterator on: pages until an open shard has nothing more (every write of the test was
     * acknowledged before, so its record is there) or a closed shard's NextShardIterator is gone.
     */
    static List<Record> readAll(DynamoDbStreamsClient client, String iterator) {
        List<Record> all = new ArrayList<>();
        String next = iterator;
        while (next != null) {
            String it = next;
            GetRecordsResponse page = client.getRecords(r -> r.shardIterator(it));
            all.addAll(page.records());
            next = page.records().isEmpty() ? null : page.nextShardIterator();
        }
        return all;
    }

    /** Every record a table's latest stream holds, from its trim horizon. */
    static List<Record> records(String table) {
        return readAll(streams, iterator(streamArn(table), ShardIteratorType.TRIM_HORIZON));
    }

    static List<String> eventNames(List<Record> records) {
        return records.stream().map(Record::eventNameAsString).toList();
    }

    static BigInteger sequence(Record r) {
        return new BigInteger(r.dynamodb().sequenceNumber());
    }

    static Map<String, AttributeValue> key(String pk, String sk) {
        return item("pk", s(pk), "sk", s(sk));
    }
}
