package io.metronome.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import io.metronome.worker.StreamImages;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lambda's DynamoDB event source mapping, locally: reads the table's stream (the emulator has one shard a stream)
 * from where it left off, hands the records in order, at most the mapping's BatchSize at a time, to the real
 * handler as a {@link DynamodbEvent} with a {@link LocalContext}, and goes on after the last record done: with a
 * batch item failure, from the record reported (those before it are done); when the invocation throws, from the
 * batch's first record again. Like Lambda with MaximumRetryAttempts -1 it never skips a record, trying again
 * after a pause. With a data directory the last record done is kept in {@code stream-positions/<function>}, so a
 * restart goes on from it; otherwise (and for a stream it did not read before) it starts at TRIM_HORIZON.
 */
final class StreamPoller {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StreamPoller.class);
    private static final long IDLE_MS = 100;
    private static final long RETRY_MS = 500;

    private final DynamoDbStreamsClient streams;
    private final String tableName;
    private final SamTemplate.StreamSource source;
    private final RequestHandler<DynamodbEvent, StreamsEventResponse> handler;
    private final Path positionFile;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong invocations = new AtomicLong();
    private final AtomicLong recordsDone = new AtomicLong();
    private Thread thread;
    private String streamArn;
    private String shardId;
    /** The sequence number of the last record done, null before the first. */
    private volatile String lastDone;
    /** After a trim overtook it: the next iterator starts at the oldest record left, not the mapping's start. */
    private volatile boolean fromOldest;

    /** @param dataDir where positions are kept; null: nowhere (each start reads from the trim horizon) */
    StreamPoller(DynamoDbStreamsClient streams, String tableName, SamTemplate.StreamSource source,
                 RequestHandler<DynamodbEvent, StreamsEventResponse> handler, Path dataDir) {
        this.streams = streams;
        this.tableName = tableName;
        this.source = source;
        this.handler = handler;
        this.positionFile = dataDir == null ? null : dataDir.resolve("stream-positions").resolve(source.functionId());
    }

    void start() {
        thread = new Thread(this::loop, "stream-poller-" + source.functionId());
        thread.setDaemon(true);
        thread.start();
    }

    void stop() {
        running.set(false);
        if (thread != null) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    String functionId() {
        return source.functionId();
    }

    long invocations() {
        return invocations.get();
    }

    long recordsDone() {
        return recordsDone.get();
    }

    private void loop() {
        String iterator = null;
        while (running.get()) {
            try {
                if (iterator == null) {
                    iterator = openIterator();
                }
                String it = iterator;
                GetRecordsResponse page = streams.getRecords(r -> r.shardIterator(it).limit(source.batchSize()));
                iterator = page.nextShardIterator();
                if (page.records().isEmpty()) {
                    pause(IDLE_MS);
                    continue;
                }
                if (!invoke(page.records())) {
                    iterator = null; // from the first record not done, after a pause
                    pause(RETRY_MS);
                }
            } catch (TrimmedDataAccessException e) {
                // Fallen so far behind that the records after the last one done are gone: as Lambda does with an
                // expired position, go on from the oldest record left (the writes in between are not seen).
                LOG.warn("stream poller {}: the records after {} were trimmed before it read them; it goes on from the "
                        + "oldest record left", source.functionId(), lastDone);
                lastDone = null;
                fromOldest = true;
                iterator = null;
            } catch (RuntimeException e) {
                if (running.get()) {
                    LOG.warn("stream poller {}: {}", source.functionId(), e.toString());
                    iterator = null;
                    pause(RETRY_MS);
                }
            }
        }
    }

    /** Hands a batch over; true when every record of it is done. */
    private boolean invoke(List<Record> records) {
        invocations.incrementAndGet();
        DynamodbEvent event = new DynamodbEvent();
        event.setRecords(records.stream().map(r -> StreamImages.toLambda(r, streamArn)).toList());
        StreamsEventResponse response;
        try {
            response = LocalContext.invoke(new LocalContext(source.functionId(), source.timeout(), source.memoryMb()),
                    io.metronome.observe.Trace.newHeader(), c -> handler.handleRequest(event, c));
        } catch (RuntimeException e) {
            LOG.warn("{} failed; its batch comes again from {}", source.functionId(),
                    records.get(0).dynamodb().sequenceNumber(), e);
            return false;
        }
        int done = doneCount(records, response);
        if (done > 0) {
            done(records.get(done - 1).dynamodb().sequenceNumber(), done);
        }
        return done == records.size();
    }

    /**
     * How many records, from the first, the answer says are done: all, or those before the first reported failure
     * (Lambda goes on from the lowest sequence number reported); none when a reported one is not in the batch.
     */
    static int doneCount(List<Record> batch, StreamsEventResponse response) {
        if (response == null || response.getBatchItemFailures() == null || response.getBatchItemFailures().isEmpty()) {
            return batch.size();
        }
        int first = batch.size();
        for (StreamsEventResponse.BatchItemFailure f : response.getBatchItemFailures()) {
            String id = f == null ? null : f.getItemIdentifier();
            int at = -1;
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i).dynamodb().sequenceNumber().equals(id)) {
                    at = i;
                }
            }
            if (at < 0) {
                return 0; // Lambda takes the whole batch as failed
            }
            first = Math.min(first, at);
        }
        return first;
    }

    private void done(String sequenceNumber, int count) {
        lastDone = sequenceNumber;
        recordsDone.addAndGet(count);
        if (positionFile != null) {
            try {
                Files.createDirectories(positionFile.getParent());
                Path tmp = positionFile.resolveSibling(positionFile.getFileName() + ".tmp");
                Files.writeString(tmp, streamArn + "\n" + sequenceNumber + "\n");
                Files.move(tmp, positionFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                LOG.warn("stream poller {}: position not kept ({}); a restart delivers again from earlier",
                        source.functionId(), e.toString());
            }
        }
    }

    /** An iterator just after the last record done: kept from before this start, or of this run, or the trim horizon. */
    private String openIterator() {
        if (streamArn == null) {
            streamArn = streams.listStreams(r -> r.tableName(tableName)).streams().stream()
                    .reduce((a, b) -> b).orElseThrow(() -> new IllegalStateException(tableName + " has no stream"))
                    .streamArn();
            shardId = streams.describeStream(r -> r.streamArn(streamArn)).streamDescription().shards().get(0).shardId();
            lastDone = kept();
        }
        String after = lastDone;
        if (after == null) {
            ShardIteratorType type = fromOldest ? ShardIteratorType.TRIM_HORIZON
                    : ShardIteratorType.fromValue(source.startingPosition());
            return streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId).shardIteratorType(type))
                    .shardIterator();
        }
        return streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId)
                .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(after)).shardIterator();
    }

    /** The position kept in the data directory, if it is of this stream. */
    private String kept() {
        if (positionFile == null || !Files.exists(positionFile)) {
            return null;
        }
        try {
            List<String> lines = Files.readAllLines(positionFile);
            return lines.size() >= 2 && lines.get(0).equals(streamArn) ? lines.get(1) : null;
        } catch (IOException e) {
            LOG.warn("stream poller {}: position unreadable ({}); reading from the trim horizon", source.functionId(), e.toString());
            return null;
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
