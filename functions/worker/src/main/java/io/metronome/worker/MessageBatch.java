package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.metronome.observe.Delivery;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An SQS batch handled a message at a time, each within its delivery's log context: a message whose handling
 * throws is reported back as a batch item failure (it comes again, and after the redrive policy's receives goes
 * to the dead-letter queue); the others are done.
 */
final class MessageBatch {
    private MessageBatch() {
    }

    /** @param what the kind of message, for the log line of one that failed */
    static SQSBatchResponse each(SQSEvent event, Logger log, String what, Consumer<String> body) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (SQSEvent.SQSMessage m : event.getRecords() == null ? List.<SQSEvent.SQSMessage>of() : event.getRecords()) {
            Delivery.begin(m.getMessageId(), m.getAttributes());
            try {
                body.accept(m.getBody());
            } catch (RuntimeException e) {
                log.warn("{} message {} failed and will be retried", what, m.getMessageId(), e);
                failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(m.getMessageId()).build());
            } finally {
                Delivery.end();
            }
        }
        return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
    }
}
