package io.metronome.domain;

import java.util.EnumSet;
import java.util.Set;

import static io.metronome.domain.RunStatus.CANCELLED;
import static io.metronome.domain.RunStatus.COMPLETED;
import static io.metronome.domain.RunStatus.FAILED;
import static io.metronome.domain.RunStatus.PAUSED;
import static io.metronome.domain.RunStatus.QUEUED;
import static io.metronome.domain.RunStatus.RUNNING;
import static io.metronome.domain.RunStatus.WAITING_APPROVAL;

/**
 * The run state machine: every transition a run may make, each with the statuses it may start from. The storage
 * layer turns {@link #from()} into the condition of the one conditional write that performs the transition, so
 * two racing callers can never both win.
 */
public enum RunTransition {
    /** A worker picks up the first node. */
    START(EnumSet.of(QUEUED), RUNNING),
    /** An approval node starts waiting for a decision (another branch may already be waiting for one). */
    AWAIT_APPROVAL(EnumSet.of(RUNNING, WAITING_APPROVAL), WAITING_APPROVAL),
    /** An approval decision arrives. */
    DECIDE(EnumSet.of(WAITING_APPROVAL), RUNNING),
    PAUSE(EnumSet.of(QUEUED, RUNNING, WAITING_APPROVAL), PAUSED),
    /** Back to the status the run had when it was paused (queued, running or waiting_approval). */
    RESUME(EnumSet.of(PAUSED), null),
    CANCEL(EnumSet.of(QUEUED, RUNNING, WAITING_APPROVAL, PAUSED), CANCELLED),
    /**
     * The last node finished, or a succeed node ran: also while paused (nothing is left to start) or while
     * another branch waits for an approval (a succeed node ends the run).
     */
    COMPLETE(EnumSet.of(RUNNING, WAITING_APPROVAL, PAUSED), COMPLETED),
    /** A node's retries ran out, a fail node ran, or the run overran its timeout (from any live status). */
    FAIL(EnumSet.of(QUEUED, RUNNING, WAITING_APPROVAL, PAUSED), FAILED);

    private final Set<RunStatus> from;
    private final RunStatus to;

    RunTransition(Set<RunStatus> from, RunStatus to) {
        this.from = from;
        this.to = to;
    }

    public Set<RunStatus> from() {
        return from;
    }

    /** The target status; null for {@link #RESUME}, whose target is the status saved at pause time. */
    public RunStatus to() {
        return to;
    }

    public boolean allowedFrom(RunStatus status) {
        return from.contains(status);
    }
}
