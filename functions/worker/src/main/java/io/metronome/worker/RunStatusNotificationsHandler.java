package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import io.metronome.engine.Engine;
import io.metronome.engine.StatusNotification;
import io.metronome.engine.StatusNotifier;
import io.metronome.observe.Invocation;

import java.util.ArrayList;
import java.util.List;

/**
 * The status notifier, the other of the runs table's two stream readers (beside {@link RunEventsHandler}, the event
 * log's writer): each write that changed a run's status is published ({@link StatusNotification#of},
 * {@link StatusNotifier}). It writes nothing, so a bus that refuses (a wrong name, a missing permission, throttling)
 * holds back only the notifications, on their own mapping, never the run's events.
 *
 * <p>Records are taken in order ({@link RunWrites}) and their notifications published in order. At the first
 * notification not published (or the first record that cannot be read), its record is reported as the batch item
 * failure and nothing after it counts as done: Lambda delivers again from that record, in order, so none is lost
 * (one after it that went out already goes out again: consumers drop it by its {@code eventId}).
 */
public final class RunStatusNotificationsHandler implements RequestHandler<DynamodbEvent, StreamsEventResponse> {
    private final StatusNotifier notifier;

    /** Used by the Lambda runtime: clients are built once per container. */
    public RunStatusNotificationsHandler() {
        this(Engine.shared());
    }

    public RunStatusNotificationsHandler(Engine engine) {
        this(engine.statusNotifier);
    }

    public RunStatusNotificationsHandler(StatusNotifier notifier) {
        this.notifier = notifier;
    }

    /** A write's notification, with the record it comes from. */
    private record Change(String sequenceNumber, StatusNotification notification) {
    }

    @Override
    public StreamsEventResponse handleRequest(DynamodbEvent event, Context context) {
        return Invocation.run(context, () -> handleBatch(event));
    }

    private StreamsEventResponse handleBatch(DynamodbEvent event) {
        RunWrites batch = RunWrites.read(event);
        List<Change> changes = new ArrayList<>();
        for (RunWrites.Write w : batch.writes()) {
            StatusNotification n = w.after() == null ? null : StatusNotification.of(w.before(), w.after(), w.events());
            if (n != null) {
                changes.add(new Change(w.sequenceNumber(), n));
            }
        }
        int published = changes.isEmpty() ? 0 : notifier.publish(changes.stream().map(Change::notification).toList());
        if (published < changes.size()) {
            return RunWrites.response(changes.get(published).sequenceNumber());
        }
        return RunWrites.response(batch.unreadable());
    }
}
