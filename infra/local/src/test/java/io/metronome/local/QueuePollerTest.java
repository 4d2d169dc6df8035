package io.metronome.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.metronome.emulators.LocalEmulators;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local event source mapping against ElasticMQ, with the real SDK client: it ends invocations at the function's
 * timeout and deletes only what Lambda would delete.
 */
class QueuePollerTest {
    private final SqsClient sqs = LocalClients.sqs(LocalEmulators.shared().sqsEndpoint(), LocalClients.plain());

    /** What one invocation saw of its context and its record. */
    private record Seen(String requestId, String functionName, String messageId, String receiveCount,
                        int remainingAtStart, int remainingAtEnd, boolean interrupted) {
    }

    @Test
    void anInvocationPastTheFunctionsTimeoutIsEndedAndItsMessageIsNotDeletedButComesBack() throws Exception {
        String url = queue();
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("{\"kind\": \"NODE\"}"));
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch firstEnded = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        AtomicReference<Seen> first = new AtomicReference<>();
        AtomicReference<Seen> second = new AtomicReference<>();
        RequestHandler<SQSEvent, SQSBatchResponse> handler = (event, context) -> {
            int atStart = context.getRemainingTimeInMillis();
            SQSEvent.SQSMessage record = event.getRecords().get(0);
            int call = calls.incrementAndGet();
            boolean interrupted = false;
            if (call == 1) {
                try {
                    never.await(); // outlives the timeout: only the poller's interrupt ends it
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            Seen seen = new Seen(context.getAwsRequestId(), context.getFunctionName(), record.getMessageId(),
                    record.getAttributes().get("ApproximateReceiveCount"), atStart, context.getRemainingTimeInMillis(),
                    interrupted);
            (call == 1 ? first : second).compareAndSet(null, seen);
            (call == 1 ? firstEnded : secondDone).countDown();
            return SQSBatchResponse.builder().withBatchItemFailures(List.of()).build();
        };
        List<String> log = new CopyOnWriteArrayList<>();
        QueuePoller poller = new QueuePoller(sqs, url, arn(url), source(1, Duration.ofSeconds(1)), handler, log::add);
        poller.start();
        try {
            assertThat(firstEnded.await(30, TimeUnit.SECONDS)).as("the first invocation was interrupted").isTrue();
            assertThat(secondDone.await(30, TimeUnit.SECONDS)).as("the message came back").isTrue();
        } finally {
            poller.stop();
            never.countDown();
        }

        assertThat(first.get().interrupted()).isTrue();
        assertThat(first.get().remainingAtStart()).as("counting down from the 1 s timeout").isBetween(1, 1000);
        assertThat(first.get().remainingAtEnd()).as("none left when it was ended").isZero();
        assertThat(log).contains(first.get().requestId() + " Task timed out after 1.00 seconds");
        assertThat(second.get().messageId()).isEqualTo(first.get().messageId());
        assertThat(first.get().receiveCount()).isEqualTo("1");
        assertThat(second.get().receiveCount()).as("not deleted: received again").isEqualTo("2");
        assertThat(second.get().requestId()).isNotEqualTo(first.get().requestId());
        assertThat(second.get().functionName()).isEqualTo("SlowFunction");
        assertThat(poller.invocations()).isEqualTo(2);
        assertThat(messagesLeft(url)).as("the invocation that answered had its message deleted").isZero();
    }

    @Test
    void aMessageReportedAsABatchItemFailureComesBackAndTheOthersAreDeleted() throws Exception {
        String url = queue();
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("fail once"));
        sqs.sendMessage(r -> r.queueUrl(url).messageBody("fine"));
        List<String> delivered = new CopyOnWriteArrayList<>();
        CountDownLatch failedCameBack = new CountDownLatch(1);
        RequestHandler<SQSEvent, SQSBatchResponse> handler = (event, context) -> {
            List<SQSBatchResponse.BatchItemFailure> failures = new java.util.ArrayList<>();
            for (SQSEvent.SQSMessage m : event.getRecords()) {
                String count = m.getAttributes().get("ApproximateReceiveCount");
                delivered.add(m.getBody() + " #" + count);
                if (m.getBody().equals("fail once") && count.equals("1")) {
                    failures.add(SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(m.getMessageId()).build());
                } else if (m.getBody().equals("fail once")) {
                    failedCameBack.countDown();
                }
            }
            return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
        };
        QueuePoller poller = new QueuePoller(sqs, url, arn(url), source(10, Duration.ofSeconds(5)), handler, s -> { });
        poller.start();
        try {
            assertThat(failedCameBack.await(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            poller.stop();
        }
        assertThat(delivered).containsExactlyInAnyOrder("fail once #1", "fine #1", "fail once #2");
        assertThat(messagesLeft(url)).isZero();
    }

    @Test
    void lambdaDeletesAllButTheReportedFailuresAndNothingWhenAReportNamesNoMessageOfTheBatch() {
        List<Message> batch = List.of(message("a"), message("b"), message("c"));
        assertThat(QueuePoller.toDelete(batch, null)).isEqualTo(batch);
        assertThat(QueuePoller.toDelete(batch, SQSBatchResponse.builder().build())).isEqualTo(batch);
        assertThat(QueuePoller.toDelete(batch, failures("b"))).extracting(Message::messageId).containsExactly("a", "c");
        assertThat(QueuePoller.toDelete(batch, failures("b", "elsewhere"))).isEmpty();
        assertThat(QueuePoller.toDelete(batch, failures(""))).isEmpty();
    }

    private static SQSBatchResponse failures(String... ids) {
        return SQSBatchResponse.builder().withBatchItemFailures(java.util.Arrays.stream(ids)
                .map(id -> SQSBatchResponse.BatchItemFailure.builder().withItemIdentifier(id).build()).toList()).build();
    }

    private static Message message(String id) {
        return Message.builder().messageId(id).receiptHandle("r-" + id).body("{}").build();
    }

    private static SamTemplate.QueueSource source(int batchSize, Duration timeout) {
        return new SamTemplate.QueueSource("SlowFunction", "example.Handler::handleRequest", "Queue", batchSize, 1,
                timeout, 512);
    }

    /** A queue of its own whose messages come back a second after they are received. */
    private String queue() {
        return sqs.createQueue(r -> r.queueName("poller-" + UUID.randomUUID())
                .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1"))).queueUrl();
    }

    private String arn(String url) {
        return sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes()
                .get(QueueAttributeName.QUEUE_ARN);
    }

    private int messagesLeft(String url) {
        Map<QueueAttributeName, String> a = sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                .attributes();
        return Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }
}
