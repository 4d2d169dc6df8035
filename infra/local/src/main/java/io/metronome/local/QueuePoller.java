package io.metronome.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Lambda's SQS event source mapping, locally: long-polls the queue, hands batches of at most the mapping's BatchSize
 * to the real handler as an {@link SQSEvent}, with a {@link LocalContext} whose time counts down from the function's
 * Timeout, and deletes the messages it did not report as failed (ReportBatchItemFailures). The others come back
 * after the visibility timeout (and, past the redrive policy, go to the dead-letter queue), as do all of a batch
 * whose invocation threw or ran past the timeout. A timed-out invocation is ended as far as a JVM can end a
 * thread: it is interrupted and abandoned (Lambda would freeze and discard its environment; here a handler that
 * ignores the interrupt may still be running).
 */
final class QueuePoller {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QueuePoller.class);
    /** SQS's most messages per ReceiveMessage and per DeleteMessageBatch. */
    private static final int SQS_BATCH = 10;

    private final SqsClient sqs;
    private final String queueUrl;
    private final String queueArn;
    private final SamTemplate.QueueSource source;
    private final RequestHandler<SQSEvent, SQSBatchResponse> handler;
    private final Consumer<String> log;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong invocations = new AtomicLong();
    private final AtomicInteger largestBatch = new AtomicInteger();

    QueuePoller(SqsClient sqs, String queueUrl, String queueArn, SamTemplate.QueueSource source,
                RequestHandler<SQSEvent, SQSBatchResponse> handler) {
        this(sqs, queueUrl, queueArn, source, handler, LOG::warn);
    }

    /** @param log where the lines Lambda would write to the function's log go (the timeouts, failed invocations) */
    QueuePoller(SqsClient sqs, String queueUrl, String queueArn, SamTemplate.QueueSource source,
                RequestHandler<SQSEvent, SQSBatchResponse> handler, Consumer<String> log) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.queueArn = queueArn;
        this.source = source;
        this.handler = handler;
        this.log = log;
    }

    /** Starts the mapping's pollers, one invocation at a time each. */
    void start() {
        for (int i = 0; i < source.maxConcurrency(); i++) {
            Thread t = new Thread(this::loop, "queue-poller-" + source.functionId() + "-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops receiving; an invocation under way is waited for first (up to 30 s per poller). */
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

    String functionId() {
        return source.functionId();
    }

    /** Invocations so far, and the most records one of them was given. */
    long invocations() {
        return invocations.get();
    }

    int largestBatch() {
        return largestBatch.get();
    }

    private void loop() {
        while (running.get()) {
            try {
                List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(queueUrl)
                        .maxNumberOfMessages(Math.min(source.batchSize(), SQS_BATCH))
                        .waitTimeSeconds(1).messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
                if (!messages.isEmpty()) {
                    invoke(messages);
                }
            } catch (RuntimeException e) {
                if (running.get()) {
                    log.accept("queue poller: " + e);
                    sleep();
                }
            }
        }
    }

    private void invoke(List<Message> messages) {
        invocations.incrementAndGet();
        largestBatch.accumulateAndGet(messages.size(), Math::max);
        SQSEvent event = new SQSEvent();
        event.setRecords(messages.stream().map(this::record).toList());
        LocalContext context = new LocalContext(source.functionId(), source.timeout(), source.memoryMb());
        CompletableFuture<SQSBatchResponse> answer = new CompletableFuture<>();
        Thread invocation = new Thread(() -> {
            try {
                answer.complete(LocalContext.invoke(context, io.metronome.observe.Trace.newHeader(),
                        c -> handler.handleRequest(event, c)));
            } catch (Throwable e) {
                answer.completeExceptionally(e);
            }
        }, source.functionId() + "-" + context.getAwsRequestId());
        invocation.setDaemon(true);
        invocation.start();
        SQSBatchResponse response;
        try {
            response = answer.get(source.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.accept(context.getAwsRequestId() + " Task timed out after "
                    + String.format(Locale.ROOT, "%.2f", source.timeout().toMillis() / 1000.0) + " seconds");
            invocation.interrupt();
            return;
        } catch (ExecutionException e) {
            log.accept(context.getAwsRequestId() + " " + source.functionId()
                    + " failed; the whole batch will be retried: " + e.getCause());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            invocation.interrupt();
            return;
        }
        delete(toDelete(messages, response));
    }

    /**
     * The messages Lambda deletes after an invocation answered: all but those reported as batch item failures; none
     * when a reported identifier is empty or not in the batch (Lambda then takes the whole batch as failed).
     */
    static List<Message> toDelete(List<Message> batch, SQSBatchResponse response) {
        if (response == null || response.getBatchItemFailures() == null) {
            return batch;
        }
        Set<String> ids = batch.stream().map(Message::messageId).collect(Collectors.toSet());
        Set<String> failed = new java.util.HashSet<>();
        for (SQSBatchResponse.BatchItemFailure f : response.getBatchItemFailures()) {
            String id = f == null ? null : f.getItemIdentifier();
            if (id == null || !ids.contains(id)) {
                return List.of();
            }
            failed.add(id);
        }
        return batch.stream().filter(m -> !failed.contains(m.messageId())).toList();
    }

    private void delete(List<Message> messages) {
        for (int from = 0; from < messages.size(); from += SQS_BATCH) {
            List<Message> chunk = messages.subList(from, Math.min(messages.size(), from + SQS_BATCH));
            List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(i))
                        .receiptHandle(chunk.get(i).receiptHandle()).build());
            }
            var response = sqs.deleteMessageBatch(r -> r.queueUrl(queueUrl).entries(entries));
            response.failed().forEach(f -> log.accept("queue poller: a message was not deleted and will come back: "
                    + f.message()));
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
        Map<String, String> attributes = new HashMap<>();
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
