package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.metronome.domain.Errors;
import io.metronome.engine.Engine;
import io.metronome.engine.NodeMessage;
import io.metronome.engine.NodeTimeLimits;
import io.metronome.engine.Worker;
import io.metronome.observe.Delivery;
import io.metronome.observe.Invocation;
import io.metronome.observe.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The node queue's consumer: each message names one node of one run, and is handed to the {@link Worker}.
 * Messages that fail are reported back individually (ReportBatchItemFailures), so only they are delivered
 * again, and after the queue's maxReceiveCount they move to the dead-letter queue.
 */
public final class WorkerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerHandler.class);
    private final Worker worker;
    private final BatchTime time;

    /** Used by the Lambda runtime: clients and repositories are built once per container. */
    public WorkerHandler() {
        this(Engine.shared().worker);
    }

    public WorkerHandler(Worker worker) {
        this(worker, NodeTimeLimits.PER_MESSAGE);
    }

    /** @param perMessage the time left below which no further message of a batch is started */
    WorkerHandler(Worker worker, Duration perMessage) {
        this.worker = worker;
        this.time = new BatchTime(perMessage);
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        return Invocation.run(context, () -> handleBatch(event, context));
    }

    private SQSBatchResponse handleBatch(SQSEvent event, Context context) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        List<SQSEvent.SQSMessage> records = event.getRecords() == null ? List.of() : event.getRecords();
        for (int i = 0; i < records.size(); i++) {
            SQSEvent.SQSMessage message = records.get(i);
            long remaining = context == null ? Long.MAX_VALUE : context.getRemainingTimeInMillis();
            if (!time.mayStart(i, remaining)) {
                handBack(records.subList(i, records.size()), remaining, failures);
                break;
            }
            try {
                handle(message);
            } catch (RuntimeException e) {
                fail(message, failures, e);
            } catch (Error e) {
                if (Errors.isFatal(e)) {
                    throw e;
                }
                // Only this message comes back (and, past maxReceiveCount, goes to the dead-letter queue); the
                // rest of the batch is still handled.
                fail(message, failures, e);
            } finally {
                Delivery.end();
            }
        }
        return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
    }

    /** One message, its log lines naming it and its node, in the trace it was sent in. */
    private void handle(SQSEvent.SQSMessage message) {
        Delivery.begin(message.getMessageId(), message.getAttributes());
        NodeMessage m = NodeMessage.fromJson(message.getBody());
        Delivery.names(m.runId(), m.nodeId(), m.attempt());
        worker.handle(m);
    }

    /** Not started for want of time: they come back after the visibility timeout, to another invocation. */
    private static void handBack(List<SQSEvent.SQSMessage> rest, long remaining,
                                 List<SQSBatchResponse.BatchItemFailure> failures) {
        LOG.warn("{} messages handed back unstarted: {} ms left is too little for another node", rest.size(), remaining);
        rest.forEach(m -> failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(m.getMessageId()).build()));
    }

    private static void fail(SQSEvent.SQSMessage message, List<SQSBatchResponse.BatchItemFailure> failures, Throwable e) {
        LOG.warn("message {} failed and will be retried", message.getMessageId(), e);
        Metrics.messageFailed();
        failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(message.getMessageId()).build());
    }
}
