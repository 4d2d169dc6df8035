package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.metronome.domain.Json;
import io.metronome.engine.Engine;
import io.metronome.engine.Triggers;

import java.util.ArrayList;
import java.util.List;

/**
 * The trigger event queue, for producers other than EventBridge: each message's body is an event in
 * EventBridge's shape ({@code id, source, detail-type, detail}). Messages that are not events, or fail, are
 * reported back and end in the queue's dead-letter queue after the redrive policy's receives.
 */
public final class QueuedEventTriggerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private final Triggers triggers;

    public QueuedEventTriggerHandler() {
        this(Engine.shared());
    }

    public QueuedEventTriggerHandler(Engine engine) {
        this.triggers = engine.triggers;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (SQSEvent.SQSMessage m : event.getRecords() == null ? List.<SQSEvent.SQSMessage>of() : event.getRecords()) {
            try {
                triggers.event(Json.read(m.getBody()));
            } catch (RuntimeException e) {
                System.err.println("event message " + m.getMessageId() + " failed: " + e);
                failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(m.getMessageId()).build());
            }
        }
        return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
    }
}
