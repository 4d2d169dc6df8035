package io.metronome.engine;

import io.metronome.observe.Trace;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeNameForSends;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeValue;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Puts node messages on the queue. A message due later is sent with an SQS delay of at most 15 minutes; the
 * worker sends it on again until it is due ({@link #hop}).
 *
 * <p>Every message carries the current trace header as its {@code AWSTraceHeader} system attribute, so the
 * worker that handles it continues the same trace ({@link Trace}): one run's nodes make one trace.
 */
public final class Dispatcher {
    static final long MAX_DELAY_SECONDS = 900;

    private final SqsClient sqs;
    private final String queueUrl;
    private final Clock clock;

    public Dispatcher(SqsClient sqs, String queueUrl, Clock clock) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.clock = clock;
    }

    public void send(List<NodeMessage> messages) {
        Map<MessageSystemAttributeNameForSends, MessageSystemAttributeValue> trace = traceAttribute();
        for (int from = 0; from < messages.size(); from += 10) {
            List<NodeMessage> chunk = messages.subList(from, Math.min(messages.size(), from + 10));
            if (chunk.size() == 1) {
                NodeMessage m = chunk.get(0);
                sqs.sendMessage(r -> {
                    r.queueUrl(queueUrl).messageBody(m.toJson()).delaySeconds(delaySeconds(m));
                    if (!trace.isEmpty()) {
                        r.messageSystemAttributes(trace);
                    }
                });
                continue;
            }
            List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                NodeMessage m = chunk.get(i);
                SendMessageBatchRequestEntry.Builder entry = SendMessageBatchRequestEntry.builder()
                        .id(Integer.toString(i)).messageBody(m.toJson()).delaySeconds(delaySeconds(m));
                if (!trace.isEmpty()) {
                    entry.messageSystemAttributes(trace);
                }
                entries.add(entry.build());
            }
            SendMessageBatchResponse response = sqs.sendMessageBatch(r -> r.queueUrl(queueUrl).entries(entries));
            if (response.hasFailed() && !response.failed().isEmpty()) {
                throw new IllegalStateException("SQS refused " + response.failed().size() + " node messages: "
                        + response.failed().get(0).message());
            }
        }
    }

    /**
     * What a cancel leaves for the worker: a STOP for each cancelled node that started work elsewhere (a Step
     * Functions execution), a CLOSE for each cancelled map whose later children never started (the worker
     * records them as cancelled steps, a chunk at a time), and one CLOSE for the nodes the run never reached.
     */
    public void followUpCancelled(io.metronome.domain.Run run, java.util.Collection<io.metronome.domain.NodeState> cancelled) {
        List<NodeMessage> messages = new ArrayList<>();
        for (io.metronome.domain.NodeState s : cancelled) {
            if (s.metadata() != null && s.metadata().hasNonNull("executionArn")) {
                messages.add(NodeMessage.stop(run.id(), s.nodeId(), s.stepId()));
            }
            if (s.metadata() != null && s.metadata().has("total") && s.metadata().has("started")) {
                MapProgress p = MapProgress.of(s.metadata());
                if (p.started() < p.total()) {
                    messages.add(NodeMessage.close(run.id(), s.nodeId(), s.stepId(), p.started()));
                }
            }
        }
        messages.add(NodeMessage.closeRun(run.id()));
        send(messages);
    }

    public void send(NodeMessage message) {
        send(List.of(message));
    }

    /** True when the message is not due yet (so the worker should {@link #hop} it rather than act on it). */
    public boolean notDue(NodeMessage m) {
        return m.notBefore() != null && m.notBefore().isAfter(clock.instant().plusMillis(500));
    }

    public void hop(NodeMessage m) {
        send(m);
    }

    /** The current trace header as the message's AWSTraceHeader attribute; none outside a traced invocation. */
    private static Map<MessageSystemAttributeNameForSends, MessageSystemAttributeValue> traceAttribute() {
        String header = Trace.header();
        return header == null ? Map.of() : Map.of(MessageSystemAttributeNameForSends.AWS_TRACE_HEADER,
                MessageSystemAttributeValue.builder().dataType("String").stringValue(header).build());
    }

    private int delaySeconds(NodeMessage m) {
        if (m.notBefore() == null) {
            return 0;
        }
        Instant now = clock.instant();
        long seconds = (long) Math.ceil(Duration.between(now, m.notBefore()).toMillis() / 1000.0);
        return (int) Math.max(0, Math.min(MAX_DELAY_SECONDS, seconds));
    }
}
