package io.metronome.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.Run;
import io.metronome.engine.Dispatcher;
import io.metronome.engine.NodeMessage;
import io.metronome.store.RunRepository;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Redrives the node dead-letter queue: each message is read, decided on ({@link RedriveDecision}), acted on, and
 * reported as one JSON line. A redriven message is sent to the node queue first and deleted from the dead-letter
 * queue after, so a crash in between leaves it in both: a duplicate, which the worker tolerates (it drops a
 * message whose node has moved on), where the other order could lose it.
 *
 * <p>Messages are held (invisible) while the command runs, so each is seen once; those it keeps, and all of them in
 * a dry run, are made visible again at the end.
 */
final class Redrive {
    /** How long a received message stays invisible to other readers: longer than a run of the command takes. */
    static final int HOLD_SECONDS = 300;

    record Tally(int redriven, int dropped, int kept) {
    }

    private final SqsClient sqs;
    private final String deadLetterQueueUrl;
    private final RunRepository runs;
    private final Dispatcher nodeQueue;

    Redrive(SqsClient sqs, String deadLetterQueueUrl, RunRepository runs, Dispatcher nodeQueue) {
        this.sqs = sqs;
        this.deadLetterQueueUrl = deadLetterQueueUrl;
        this.runs = runs;
        this.nodeQueue = nodeQueue;
    }

    /**
     * @param line takes each message's result line
     * @param warn takes what the user should know that is no message's result
     */
    Tally run(int max, boolean dryRun, Consumer<String> line, Consumer<String> warn) {
        int redriven = 0;
        int dropped = 0;
        int kept = 0;
        Set<String> seen = new HashSet<>();
        List<Message> release = new ArrayList<>();
        try {
            while (redriven + dropped + kept < max) {
                int room = Math.min(10, max - (redriven + dropped + kept));
                // A short wait rather than none: SQS's short poll samples some of its servers and may answer empty.
                List<Message> batch = sqs.receiveMessage(r -> r.queueUrl(deadLetterQueueUrl).maxNumberOfMessages(room)
                        .waitTimeSeconds(1).visibilityTimeout(HOLD_SECONDS)
                        .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).messages();
                List<Message> fresh = new ArrayList<>();
                for (Message m : batch) {
                    (seen.add(m.messageId()) ? fresh : release).add(m);
                }
                if (fresh.isEmpty()) {
                    break; // the queue is empty, or holds only messages this command has already seen
                }
                for (Message m : fresh) {
                    RedriveDecision.Outcome outcome = handle(m, dryRun, line);
                    switch (outcome.action()) {
                        case REDRIVE -> redriven++;
                        case DROP -> dropped++;
                        case KEEP -> kept++;
                    }
                    if (dryRun || outcome.action() == RedriveDecision.Action.KEEP) {
                        release.add(m);
                    }
                }
            }
        } finally {
            release(release, warn);
        }
        return new Tally(redriven, dropped, kept);
    }

    private RedriveDecision.Outcome handle(Message m, boolean dryRun, Consumer<String> line) {
        NodeMessage message = null;
        try {
            message = NodeMessage.fromJson(m.body());
        } catch (RuntimeException unreadable) {
            // not a node message: left for a person to look at
        }
        RedriveDecision.Outcome outcome;
        if (message == null) {
            outcome = RedriveDecision.UNREADABLE;
        } else {
            Optional<Run> run = runs.find(message.runId());
            outcome = RedriveDecision.decide(message.kind(), run.map(Run::status).orElse(null),
                    run.map(Run::closed).orElse(false));
        }
        if (!dryRun) {
            if (outcome.action() == RedriveDecision.Action.REDRIVE) {
                nodeQueue.send(message);
            }
            if (outcome.action() != RedriveDecision.Action.KEEP) {
                sqs.deleteMessage(r -> r.queueUrl(deadLetterQueueUrl).receiptHandle(m.receiptHandle()));
            }
        }
        ObjectNode o = Json.object();
        o.put("messageId", m.messageId());
        o.put("runId", message == null ? null : message.runId());
        o.put("nodeId", message == null ? null : message.nodeId());
        o.put("kind", message == null ? null : message.kind().name());
        String count = m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT);
        if (count == null) {
            o.putNull("receiveCount");
        } else {
            o.put("receiveCount", Integer.parseInt(count));
        }
        o.put("outcome", outcome.text());
        if (dryRun) {
            o.put("dryRun", true);
        }
        line.accept(o.toString());
        return outcome;
    }

    /** Makes held messages visible again; one that cannot be is visible anyway once its hold ends. */
    private void release(List<Message> held, Consumer<String> warn) {
        for (int from = 0; from < held.size(); from += 10) {
            List<Message> chunk = held.subList(from, Math.min(held.size(), from + 10));
            List<ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                entries.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(Integer.toString(i))
                        .receiptHandle(chunk.get(i).receiptHandle()).visibilityTimeout(0).build());
            }
            try {
                sqs.changeMessageVisibilityBatch(r -> r.queueUrl(deadLetterQueueUrl).entries(entries));
            } catch (RuntimeException e) {
                warn.accept("could not make " + chunk.size() + " kept messages visible again (" + e.getMessage()
                        + "); they will be once their hold of " + HOLD_SECONDS + " s ends");
            }
        }
    }
}
