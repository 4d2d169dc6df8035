package io.metronome.worker;

import java.time.Duration;

/**
 * Whether an invocation has the time to start the next message of its batch. The template gives the worker one
 * message per invocation; if a batch is larger, a message is started only with the time one message may take still
 * left, and the rest are handed back (as batch item failures) rather than cut off by the function's timeout, which
 * would bring back the whole batch, finished messages too.
 */
final class BatchTime {
    private final Duration perMessage;

    BatchTime(Duration perMessage) {
        this.perMessage = perMessage;
    }

    /**
     * @param started messages of this batch already handled
     * @param remainingMillis what the invocation has left ({@code Context.getRemainingTimeInMillis()})
     */
    boolean mayStart(int started, long remainingMillis) {
        // The first always starts: handing it back would only bring it to another invocation with the same timeout.
        return started == 0 || remainingMillis >= perMessage.toMillis();
    }
}
