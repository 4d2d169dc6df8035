package io.metronome.cli;

import io.metronome.domain.RunStatus;
import io.metronome.engine.NodeMessage;

/**
 * What becomes of one message of the node dead-letter queue, from what kind of message it is and where its run
 * stands. No I/O: {@link Redrive} reads the run and acts on the outcome.
 */
final class RedriveDecision {
    enum Action { REDRIVE, DROP, KEEP }

    /** @param text the result line's {@code outcome} */
    record Outcome(Action action, String text) {
    }

    static final Outcome UNREADABLE = new Outcome(Action.KEEP, "kept: unreadable");
    static final Outcome NO_RUN = new Outcome(Action.KEEP, "kept: run not found");

    private RedriveDecision() {
    }

    /**
     * @param status the run's status, or null when there is no such run (kept: runs are never deleted, so the
     *               message or the table it was looked up in is not what it should be)
     * @param closed the ended run's leftovers are recorded and its counters set ({@code Run.closed})
     */
    static Outcome decide(NodeMessage.Kind kind, RunStatus status, boolean closed) {
        if (status == null) {
            return NO_RUN;
        }
        boolean obsolete = switch (kind) {
            // running a node, checking a deadline and taking a scheduled pause are for runs that have not ended
            case NODE, DEADLINE, SCHEDULE -> status.isTerminal();
            // closing is for a run that has ended, and is done once the run is closed
            case CLOSE -> closed;
            // stops work a cancelled node started elsewhere (a Step Functions execution), which may still be running
            case STOP -> false;
        };
        return obsolete ? new Outcome(Action.DROP, "dropped: run " + status.wire()) : new Outcome(Action.REDRIVE, "redriven");
    }
}
