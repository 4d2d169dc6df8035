package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.metronome.domain.Errors;
import io.metronome.engine.Engine;
import io.metronome.engine.NodeMessage;
import io.metronome.engine.NodeTimeLimits;
import io.metronome.engine.Worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The node queue's consumer: each message names one node of one run, and is handed to the {@link Worker}.
 * Messages that fail are reported back individually (ReportBatchItemFailures), so only they are delivered
 * again, and after the queue's maxReceiveCount they move to the dead-letter queue.
 */
public final class WorkerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
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
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        List<SQSEvent.SQSMessage> records = event.getRecords() == null ? List.of() : event.getRecords();
        for (int i = 0; i < records.size(); i++) {
            SQSEvent.SQSMessage message = records.get(i);
            long remaining = context == null ? Long.MAX_VALUE : context.getRemainingTimeInMillis();
            if (!time.mayStart(i, remaining)) {
                handBack(context, records.subList(i, records.size()), remaining, failures);
                break;
            }
            try {
                worker.handle(NodeMessage.fromJson(message.getBody()));
            } catch (RuntimeException e) {
                fail(context, message, failures, e);
            } catch (Error e) {
                if (Errors.isFatal(e)) {
                    throw e;
                }
                // Only this message comes back (and, past maxReceiveCount, goes to the dead-letter queue); the
                // rest of the batch is still handled.
                fail(context, message, failures, e);
            }
        }
        return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
    }

    /** Not started for want of time: they come back after the visibility timeout, to another invocation. */
    private static void handBack(Context context, List<SQSEvent.SQSMessage> rest, long remaining,
                                 List<SQSBatchResponse.BatchItemFailure> failures) {
        log(context, rest.size() + " messages handed back unstarted: " + remaining + " ms left is too little for another node");
        rest.forEach(m -> failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(m.getMessageId()).build()));
    }

    private static void fail(Context context, SQSEvent.SQSMessage message,
                             List<SQSBatchResponse.BatchItemFailure> failures, Throwable e) {
        log(context, "message " + message.getMessageId() + " failed and will be retried: " + e);
        failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(message.getMessageId()).build());
    }

    private static void log(Context context, String line) {
        LambdaLogger logger = context == null ? null : context.getLogger();
        if (logger != null) {
            logger.log(line + "\n");
        } else {
            System.err.println(line);
        }
    }
}
