package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.metronome.domain.Json;
import io.metronome.engine.Engine;
import io.metronome.engine.Triggers;
import io.metronome.observe.Invocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trigger event queue, for producers other than EventBridge: each message's body is an event in
 * EventBridge's shape ({@code id, source, detail-type, detail}). Messages that are not events, or fail, are
 * reported back and end in the queue's dead-letter queue after the redrive policy's receives.
 */
public final class QueuedEventTriggerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(QueuedEventTriggerHandler.class);
    private final Triggers triggers;

    public QueuedEventTriggerHandler() {
        this(Engine.shared());
    }

    public QueuedEventTriggerHandler(Engine engine) {
        this.triggers = engine.triggers;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        return Invocation.run(context, () -> handle(event));
    }

    private SQSBatchResponse handle(SQSEvent event) {
        return MessageBatch.each(event, LOG, "event", body -> triggers.event(Json.read(body)));
    }
}
