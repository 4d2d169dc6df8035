package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Lambda handler, fed the way the SQS event source mapping feeds it: batches of real queue messages as an
 * SQSEvent; messages it reports as failed stay on the queue, the rest are deleted.
 */
class WorkerHandlerTest {
    private final Harness h = new Harness();
    private final WorkerHandler handler = new WorkerHandler(h.engine.worker);

    @Test
    void batchesOfQueueMessagesRunAWholeWorkflow() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "input.x"}},
                           {"id": "b", "type": "transform", "config": {"expression": "nodes.a * 3"}},
                           {"id": "c", "type": "transform", "config": {"expression": "nodes.a * 5"}},
                           {"id": "d", "type": "transform", "config": {"expression": "nodes.b + nodes.c"}}],
                 "edges": [{"from": "a", "to": "b"}, {"from": "a", "to": "c"}, {"from": "b", "to": "d"}, {"from": "c", "to": "d"}]}""");
        Run run = h.start(m, "{\"input\": {\"x\": 2}}");

        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (!h.run(run).isTerminal() && Instant.now().isBefore(end)) {
            deliverOneBatch();
        }

        Run done = h.run(run);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.output().asInt()).isEqualTo(16);
    }

    @Test
    void aMessageThatIsNotANodeMessageIsReportedFailedAndTheOthersAreNot() {
        SQSEvent event = event(List.of(
                message("m-1", "not json at all"),
                message("m-2", "{\"kind\": \"NODE\", \"runId\": \"run_01jz0000000000000000000000\", \"nodeId\": \"x\", \"attempt\": 1}"),
                message("m-3", "{\"kind\": \"NODE\"}")));

        SQSBatchResponse response = handler.handleRequest(event, null);

        // m-2 names a run that does not exist: nothing to do, so it is consumed; the malformed ones go back
        // to the queue and, after the redrive policy's receive count, to the dead-letter queue.
        assertThat(response.getBatchItemFailures()).extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                .containsExactly("m-1", "m-3");
    }

    @Test
    void withTooLittleTimeLeftForAnotherNodeTheRestOfTheBatchIsHandedBackUnstarted() {
        String absent = "{\"kind\": \"NODE\", \"runId\": \"run_01jz0000000000000000000000\", \"nodeId\": \"x\", \"attempt\": 1}";
        SQSEvent event = event(List.of(message("m-1", absent), message("m-2", absent), message("m-3", absent)));
        WorkerHandler budgeted = new WorkerHandler(h.engine.worker, Duration.ofSeconds(90));

        // Each names a run that does not exist: handled, each is consumed.
        assertThat(budgeted.handleRequest(event, new TimeLeft(90_000)).getBatchItemFailures()).isEmpty();
        // With less than one message's time left, the first is still handled, the others come back to another
        // invocation instead of being cut off by the timeout.
        assertThat(budgeted.handleRequest(event, new TimeLeft(89_999)).getBatchItemFailures())
                .extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier).containsExactly("m-2", "m-3");
    }

    /** The Lambda context of an invocation with a fixed time left. */
    private record TimeLeft(int millis) implements Context {
        public String getAwsRequestId() { return "request-1"; }
        public String getLogGroupName() { return null; }
        public String getLogStreamName() { return null; }
        public String getFunctionName() { return "WorkerFunction"; }
        public String getFunctionVersion() { return "$LATEST"; }
        public String getInvokedFunctionArn() { return null; }
        public CognitoIdentity getIdentity() { return null; }
        public ClientContext getClientContext() { return null; }
        public int getRemainingTimeInMillis() { return millis; }
        public int getMemoryLimitInMB() { return 1024; }
        public LambdaLogger getLogger() { return null; }
    }

    private void deliverOneBatch() {
        List<Message> received = h.stack.plainSqs.receiveMessage(r -> r.queueUrl(h.queueUrl).maxNumberOfMessages(10)
                .waitTimeSeconds(1)).messages();
        if (received.isEmpty()) {
            return;
        }
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        received.forEach(m -> records.add(message(m.messageId(), m.body())));
        SQSBatchResponse response = handler.handleRequest(event(records), null);
        List<String> failed = response.getBatchItemFailures().stream()
                .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList();
        for (Message m : received) {
            if (!failed.contains(m.messageId())) {
                h.stack.plainSqs.deleteMessage(r -> r.queueUrl(h.queueUrl).receiptHandle(m.receiptHandle()));
            }
        }
    }

    private static SQSEvent event(List<SQSEvent.SQSMessage> records) {
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        return event;
    }

    private static SQSEvent.SQSMessage message(String id, String body) {
        SQSEvent.SQSMessage m = new SQSEvent.SQSMessage();
        m.setMessageId(id);
        m.setBody(body);
        m.setEventSource("aws:sqs");
        return m;
    }
}
