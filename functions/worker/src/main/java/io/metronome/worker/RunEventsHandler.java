package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import io.metronome.engine.Engine;
import io.metronome.engine.RunEvents;
import io.metronome.engine.StreamEnd;
import io.metronome.observe.Invocation;
import io.metronome.store.RunEventLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The event log's writer, one of the runs table's two stream readers: the events between the two versions of each
 * write ({@link RunEvents}) are appended to the run's event log, and the log of a run the batch leaves settled is
 * marked complete ({@link StreamEnd}). Status changes are the other reader's
 * ({@link RunStatusNotificationsHandler}), on a mapping of their own: a notification that cannot be published
 * never holds the log back.
 *
 * <p>Records are taken in order ({@link RunWrites}) and the batch's events written together (idempotent: a record
 * delivered again writes the same items). When they cannot be written, the batch's first record is reported as
 * the batch item failure, and Lambda delivers again from it.
 */
public final class RunEventsHandler implements RequestHandler<DynamodbEvent, StreamsEventResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(RunEventsHandler.class);
    private final RunEventLog log;

    /** Used by the Lambda runtime: clients and repositories are built once per container. */
    public RunEventsHandler() {
        this(Engine.shared());
    }

    public RunEventsHandler(Engine engine) {
        this(engine.eventLog);
    }

    public RunEventsHandler(RunEventLog log) {
        this.log = log;
    }

    @Override
    public StreamsEventResponse handleRequest(DynamodbEvent event, Context context) {
        return Invocation.run(context, () -> handleBatch(event));
    }

    private StreamsEventResponse handleBatch(DynamodbEvent event) {
        RunWrites batch = RunWrites.read(event);
        List<RunWrites.Write> writes = batch.writes();
        if (writes.isEmpty()) {
            return RunWrites.response(batch.unreadable());
        }
        try {
            log.append(writes.stream().flatMap(w -> w.events().stream()).toList());
            log.markSettled(settledRevisions(writes));
        } catch (RuntimeException e) {
            LOG.warn("the events of {} stream records were not written; the batch comes again from {}",
                    writes.size(), writes.get(0).sequenceNumber(), e);
            return RunWrites.response(writes.get(0).sequenceNumber());
        }
        return RunWrites.response(batch.unreadable());
    }

    /** The runs the batch leaves settled (StreamEnd), each at its last revision in it: their logs are complete. */
    private static Map<String, Long> settledRevisions(List<RunWrites.Write> writes) {
        Map<String, Long> settled = new LinkedHashMap<>();
        for (RunWrites.Write w : writes) {
            if (w.after() == null) {
                continue;
            }
            if (StreamEnd.settled(w.after())) {
                settled.merge(w.after().id(), w.after().rev(), Math::max);
            } else {
                settled.remove(w.after().id()); // it went on (a later write of the batch): not complete there
            }
        }
        return settled;
    }
}
