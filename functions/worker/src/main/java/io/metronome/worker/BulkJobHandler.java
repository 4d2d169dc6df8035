package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.metronome.engine.BulkJobs;
import io.metronome.engine.Engine;
import io.metronome.observe.Invocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bulk queue's consumer: each message is one page of one bulk job. A page that fails (or an invocation that
 * dies) is delivered again; the job's results make a second delivery act on no run twice. After the redrive
 * policy's receives a message that keeps failing goes to the dead-letter queue, and the job stops there.
 */
public final class BulkJobHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(BulkJobHandler.class);
    private final BulkJobs bulkJobs;

    public BulkJobHandler() {
        this(Engine.shared());
    }

    public BulkJobHandler(Engine engine) {
        this.bulkJobs = engine.bulkJobs;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        return Invocation.run(context, () -> handle(event));
    }

    private SQSBatchResponse handle(SQSEvent event) {
        return MessageBatch.each(event, LOG, "bulk job", bulkJobs::handle);
    }
}
