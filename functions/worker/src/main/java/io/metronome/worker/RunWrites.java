package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import com.amazonaws.services.lambda.runtime.events.models.dynamodb.StreamRecord;
import io.metronome.domain.Errors;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.engine.RunEvents;
import io.metronome.store.RunRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * A batch of the runs table's stream, as both of its readers take it (the event log's writer,
 * {@link RunEventsHandler}, and the status notifier, {@link RunStatusNotificationsHandler}): each record is one
 * write to a run item, with the item before and after it, read in order up to the first record that cannot be
 * read. That record and those after it are not done: it is reported as the batch item failure, and Lambda
 * delivers again from it, in order, so no record is skipped.
 *
 * @param writes     the records read, in order
 * @param unreadable the sequence number of the first record that could not be read, null when every one was
 */
record RunWrites(List<Write> writes, String unreadable) {
    private static final Logger LOG = LoggerFactory.getLogger(RunWrites.class);

    /**
     * One write to a run item.
     *
     * @param before null when the write created the run
     * @param after  null when it deleted the run item: nothing happened to the run
     */
    record Write(String sequenceNumber, Run before, Run after) {
        /** The events between the two versions (none for a deletion). */
        List<RunEvent> events() {
            return after == null ? List.of() : RunEvents.between(before, after);
        }
    }

    static RunWrites read(DynamodbEvent event) {
        List<DynamodbEvent.DynamodbStreamRecord> records = event.getRecords() == null ? List.of() : event.getRecords();
        List<Write> writes = new ArrayList<>();
        for (DynamodbEvent.DynamodbStreamRecord record : records) {
            try {
                writes.add(write(record));
            } catch (RuntimeException e) {
                String failedAt = sequenceNumber(record);
                if (failedAt == null) {
                    throw e; // a record without its sequence number: the whole batch comes again
                }
                LOG.warn("stream record {} ({}) cannot be read; it and those after it come again", failedAt,
                        record.getEventID(), e);
                return new RunWrites(writes, failedAt);
            } catch (Error e) {
                if (Errors.isFatal(e)) {
                    throw e;
                }
                String failedAt = sequenceNumber(record);
                LOG.warn("stream record {} failed; it and those after it come again", failedAt, e);
                return new RunWrites(writes, failedAt);
            }
        }
        return new RunWrites(writes, null);
    }

    private static Write write(DynamodbEvent.DynamodbStreamRecord record) {
        StreamRecord r = record.getDynamodb();
        String sequence = sequenceNumber(record);
        if ("REMOVE".equals(record.getEventName()) || r.getNewImage() == null) {
            return new Write(sequence, null, null);
        }
        Run before = r.getOldImage() == null ? null : RunRepository.fromImage(StreamImages.toSdk(r.getOldImage()));
        Run after = RunRepository.fromImage(StreamImages.toSdk(r.getNewImage()));
        return new Write(sequence, before, after);
    }

    private static String sequenceNumber(DynamodbEvent.DynamodbStreamRecord record) {
        return record.getDynamodb() == null ? null : record.getDynamodb().getSequenceNumber();
    }

    /** The answer to Lambda: done up to {@code failedSequenceNumber} (excluded), or the whole batch when null. */
    static StreamsEventResponse response(String failedSequenceNumber) {
        List<StreamsEventResponse.BatchItemFailure> failures = failedSequenceNumber == null ? List.of()
                : List.of(StreamsEventResponse.BatchItemFailure.builder().withItemIdentifier(failedSequenceNumber).build());
        return StreamsEventResponse.builder().withBatchItemFailures(new ArrayList<>(failures)).build();
    }
}
