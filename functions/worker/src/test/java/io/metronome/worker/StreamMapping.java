package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.util.ArrayList;
import java.util.List;

/**
 * One reader of a stream as Lambda's DynamoDB event source mapping feeds it: its own position in the records,
 * batches in order from it, and after a reported failure again from the record reported (those before it done).
 * Two mappings on one stream each have their own: one held up does not hold up the other.
 */
final class StreamMapping {
    private final RequestHandler<DynamodbEvent, StreamsEventResponse> handler;
    private final List<Record> records;
    private final int batchSize;
    private int position;
    final List<String> failures = new ArrayList<>();

    StreamMapping(RequestHandler<DynamodbEvent, StreamsEventResponse> handler, List<Record> records, int batchSize) {
        this.handler = handler;
        this.records = records;
        this.batchSize = batchSize;
    }

    /** How many records, from the first, are done. */
    int position() {
        return position;
    }

    boolean caughtUp() {
        return position == records.size();
    }

    /** One invocation with the batch at the position; the record it reported, or null when the batch was done. */
    String invokeOnce() {
        List<Record> batch = records.subList(position, Math.min(records.size(), position + batchSize));
        StreamsEventResponse response = handler.handleRequest(event(batch), null);
        if (response.getBatchItemFailures().isEmpty()) {
            position += batch.size();
            return null;
        }
        String failed = response.getBatchItemFailures().get(0).getItemIdentifier();
        failures.add(failed);
        int at = 0;
        while (!batch.get(at).dynamodb().sequenceNumber().equals(failed)) {
            at++;
        }
        position += at;
        return failed;
    }

    /** Invokes until every record is done, failing the test after {@code maxFailures} reported failures. */
    StreamMapping drain(int maxFailures) {
        while (!caughtUp()) {
            if (invokeOnce() != null && failures.size() > maxFailures) {
                throw new AssertionError("delivered again and again: " + failures);
            }
        }
        return this;
    }

    static DynamodbEvent event(List<Record> batch) {
        DynamodbEvent e = new DynamodbEvent();
        e.setRecords(batch.stream().map(r -> StreamImages.toLambda(r, "arn:aws:dynamodb:local")).toList());
        return e;
    }

    /** Every record of the table's stream so far (the emulator's stream has one shard). */
    static List<Record> readStream(DynamoDbStreamsClient streams, String table) {
        String arn = streams.listStreams(r -> r.tableName(table)).streams().get(0).streamArn();
        String shard = streams.describeStream(r -> r.streamArn(arn)).streamDescription().shards().get(0).shardId();
        String iterator = streams.getShardIterator(r -> r.streamArn(arn).shardId(shard)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        List<Record> records = new ArrayList<>();
        while (iterator != null) {
            String it = iterator;
            var page = streams.getRecords(r -> r.shardIterator(it));
            records.addAll(page.records());
            if (page.records().isEmpty()) {
                break; // caught up: the shard stays open, so its iterator never ends
            }
            iterator = page.nextShardIterator();
        }
        return records;
    }
}
