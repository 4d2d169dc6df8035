package io.metronome.testing;

import io.metronome.engine.NodeMessage;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Plays the part of Lambda's SQS event source mapping in tests: receives from the real queue, hands each
 * message to the worker, deletes it when handled, and leaves it for redelivery when the worker threw.
 * Optionally hands every message over twice, or a batch in reverse order, to prove duplicates and reordering
 * are harmless.
 */
public final class Pump {
    private final SqsClient sqs;
    private final String queueUrl;
    private final Consumer<NodeMessage> worker;
    private boolean duplicate;
    private boolean reverse;
    private int handled;
    private int failed;

    public Pump(SqsClient sqs, String queueUrl, Consumer<NodeMessage> worker) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.worker = worker;
    }

    public Pump duplicateEveryMessage() {
        duplicate = true;
        return this;
    }

    public Pump reverseEachBatch() {
        reverse = true;
        return this;
    }

    /** One receive (long-polling up to a second) and the handling of what it brought; returns how many. */
    public int once() {
        List<Message> batch = new ArrayList<>(sqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(10)
                .waitTimeSeconds(1)).messages());
        if (reverse) {
            Collections.reverse(batch);
        }
        for (Message m : batch) {
            boolean ok = handle(m);
            if (duplicate) {
                ok &= handle(m);
            }
            if (ok) {
                sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
            }
        }
        return batch.size();
    }

    private boolean handle(Message m) {
        try {
            worker.accept(NodeMessage.fromJson(m.body()));
            handled++;
            return true;
        } catch (CallCounter.Crash crash) {
            failed++;
            return false;
        } catch (RuntimeException e) {
            failed++;
            System.err.println("worker failed on " + m.body() + ": " + e);
            return false;
        }
    }

    /** Pumps until the condition holds; fails the test if it does not within the timeout. */
    public void until(BooleanSupplier done, Duration timeout, String what) {
        Instant end = Instant.now().plus(timeout);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            once();
        }
    }

    /** Pumps for a while whatever happens (to show that nothing more happens). */
    public void runFor(Duration d) {
        Instant end = Instant.now().plus(d);
        while (Instant.now().isBefore(end)) {
            once();
        }
    }

    public int handled() {
        return handled;
    }

    public int failed() {
        return failed;
    }
}
