package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import com.amazonaws.services.lambda.runtime.events.models.dynamodb.StreamRecord;
import io.metronome.domain.Errors;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.engine.Engine;
import io.metronome.engine.RunEvents;
import io.metronome.engine.StatusNotification;
import io.metronome.engine.StatusNotifier;
import io.metronome.engine.StreamEnd;
import io.metronome.observe.Invocation;
import io.metronome.store.RunEventLog;
import io.metronome.store.RunRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runs table's stream consumer: each record is one write to a run item, with the item before and after it;
 * the events between the two versions ({@link RunEvents}) are appended to the run's event log, the log of a run
 * the batch leaves settled is marked complete ({@link StreamEnd}), and a changed status is published
 * ({@link StatusNotifier}).
 *
 * <p>Records are taken in order. The batch's events are written together (idempotent: a record delivered again
 * writes the same items), then its notifications published in order. At the first record that cannot be read,
 * whose events cannot be written or whose notification is not published, its sequence number is reported as the
 * batch item failure and nothing after it counts as done: Lambda delivers again from that record, in order, so
 * no record is skipped (a notification after it that went out already goes out again: consumers drop it by its
 * {@code eventId}).
 */
public final class RunEventsHandler implements RequestHandler<DynamodbEvent, StreamsEventResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(RunEventsHandler.class);
    private final RunEventLog log;
    private final StatusNotifier notifier;

    /** Used by the Lambda runtime: clients and repositories are built once per container. */
    public RunEventsHandler() {
        this(Engine.shared());
    }

    public RunEventsHandler(Engine engine) {
        this(engine.eventLog, engine.statusNotifier);
    }

    public RunEventsHandler(RunEventLog log, StatusNotifier notifier) {
        this.log = log;
        this.notifier = notifier;
    }

    /** One record's share of the batch: its events and, if its write changed the status, its notification. */
    private record Derived(String sequenceNumber, List<RunEvent> events, StatusNotification notification,
                           Run after) {
    }

    @Override
    public StreamsEventResponse handleRequest(DynamodbEvent event, Context context) {
        return Invocation.run(context, () -> handleBatch(event));
    }

    private StreamsEventResponse handleBatch(DynamodbEvent event) {
        List<DynamodbEvent.DynamodbStreamRecord> records = event.getRecords() == null ? List.of() : event.getRecords();
        List<Derived> derived = new ArrayList<>();
        String failedAt = null;
        for (DynamodbEvent.DynamodbStreamRecord record : records) {
            try {
                derived.add(derive(record));
            } catch (RuntimeException e) {
                failedAt = sequenceNumber(record);
                if (failedAt == null) {
                    throw e; // a record without its sequence number: the whole batch comes again
                }
                LOG.warn("stream record {} ({}) cannot be read; it and those after it come again", failedAt,
                        record.getEventID(), e);
                break;
            } catch (Error e) {
                if (Errors.isFatal(e)) {
                    throw e;
                }
                failedAt = sequenceNumber(record);
                LOG.warn("stream record {} failed; it and those after it come again", failedAt, e);
                break;
            }
        }
        if (derived.isEmpty()) {
            return response(failedAt);
        }
        try {
            log.append(derived.stream().flatMap(d -> d.events().stream()).toList());
            log.markSettled(settledRevisions(derived));
        } catch (RuntimeException e) {
            LOG.warn("the events of {} stream records were not written; the batch comes again from {}",
                    derived.size(), derived.get(0).sequenceNumber(), e);
            return response(derived.get(0).sequenceNumber());
        }
        List<Derived> changes = derived.stream().filter(d -> d.notification() != null).toList();
        int published = notifier.publish(changes.stream().map(Derived::notification).toList());
        if (published < changes.size()) {
            return response(changes.get(published).sequenceNumber());
        }
        return response(failedAt);
    }

    private static Derived derive(DynamodbEvent.DynamodbStreamRecord record) {
        StreamRecord r = record.getDynamodb();
        String sequence = sequenceNumber(record);
        if ("REMOVE".equals(record.getEventName()) || r.getNewImage() == null) {
            return new Derived(sequence, List.of(), null, null); // a deleted run item: nothing happened to the run
        }
        Run before = r.getOldImage() == null ? null : RunRepository.fromImage(StreamImages.toSdk(r.getOldImage()));
        Run after = RunRepository.fromImage(StreamImages.toSdk(r.getNewImage()));
        List<RunEvent> events = RunEvents.between(before, after);
        return new Derived(sequence, events, StatusNotification.of(before, after, events), after);
    }

    /** The runs the batch leaves settled (StreamEnd), each at its last revision in it: their logs are complete. */
    private static Map<String, Long> settledRevisions(List<Derived> derived) {
        Map<String, Long> settled = new LinkedHashMap<>();
        for (Derived d : derived) {
            if (d.after() == null) {
                continue;
            }
            if (StreamEnd.settled(d.after())) {
                settled.merge(d.after().id(), d.after().rev(), Math::max);
            } else {
                settled.remove(d.after().id()); // it went on (a later write of the batch): not complete there
            }
        }
        return settled;
    }

    private static String sequenceNumber(DynamodbEvent.DynamodbStreamRecord record) {
        return record.getDynamodb() == null ? null : record.getDynamodb().getSequenceNumber();
    }

    private static StreamsEventResponse response(String failedSequenceNumber) {
        List<StreamsEventResponse.BatchItemFailure> failures = failedSequenceNumber == null ? List.of()
                : List.of(StreamsEventResponse.BatchItemFailure.builder().withItemIdentifier(failedSequenceNumber).build());
        return StreamsEventResponse.builder().withBatchItemFailures(new ArrayList<>(failures)).build();
    }
}
