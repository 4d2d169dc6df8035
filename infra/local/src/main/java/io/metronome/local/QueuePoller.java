package io.metronome.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Lambda's SQS event source mapping, locally: long-polls the queue, hands batches to the real handler as an
 * {@link SQSEvent}, deletes the messages it did not report as failed (ReportBatchItemFailures), and leaves the
 * others to come back after the visibility timeout (and, past the redrive policy, go to the dead-letter queue).
 */
final class QueuePoller {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QueuePoller.class);
    private final SqsClient sqs;
    private final String queueUrl;
    private final String queueArn;
    private final String functionId;
    private final RequestHandler<SQSEvent, SQSBatchResponse> handler;
    private final int batchSize;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    QueuePoller(SqsClient sqs, String queueUrl, String queueArn, String functionId,
                RequestHandler<SQSEvent, SQSBatchResponse> handler, int batchSize) {
        this.sqs = sqs;
        this.functionId = functionId;
        this.queueUrl = queueUrl;
        this.queueArn = queueArn;
        this.handler = handler;
        this.batchSize = batchSize;
    }

    void start(int concurrency) {
        for (int i = 0; i < concurrency; i++) {
            Thread t = new Thread(this::loop, "queue-poller-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops receiving; a batch being handled is finished first. */
    void stop() {
        running.set(false);
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (running.get()) {
            try {
                List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(batchSize)
                        .waitTimeSeconds(1).messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
                if (!messages.isEmpty()) {
                    deliver(messages);
                }
            } catch (RuntimeException e) {
                if (running.get()) {
                    LOG.warn("queue poller: {}", e.toString());
                    sleep();
                }
            }
        }
    }

    private void deliver(List<Message> messages) {
        SQSEvent event = new SQSEvent();
        event.setRecords(messages.stream().map(this::record).toList());
        Set<String> failed;
        try {
            SQSBatchResponse response = LocalContext.invoke(functionId, c -> handler.handleRequest(event, c));
            failed = response == null || response.getBatchItemFailures() == null ? Set.of()
                    : response.getBatchItemFailures().stream().map(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                    .collect(Collectors.toSet());
        } catch (RuntimeException e) {
            LOG.warn("{} invocation failed; the whole batch will be retried", functionId, e);
            return;
        }
        for (Message m : messages) {
            if (!failed.contains(m.messageId())) {
                sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
            }
        }
    }

    private SQSEvent.SQSMessage record(Message m) {
        SQSEvent.SQSMessage r = new SQSEvent.SQSMessage();
        r.setMessageId(m.messageId());
        r.setReceiptHandle(m.receiptHandle());
        r.setBody(m.body());
        r.setMd5OfBody(m.md5OfBody());
        r.setEventSource("aws:sqs");
        r.setEventSourceArn(queueArn);
        r.setAwsRegion("us-east-1");
        Map<String, String> attributes = new java.util.HashMap<>();
        m.attributesAsStrings().forEach(attributes::put);
        r.setAttributes(attributes);
        return r;
    }

    private static void sleep() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
