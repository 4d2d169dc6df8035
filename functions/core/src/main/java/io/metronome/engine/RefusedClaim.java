package io.metronome.engine;

import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.PauseClock;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;

import java.time.Instant;

/**
 * What the worker does with a message whose claim was refused, decided from the run as the refusal returned it:
 * a pure function of the run, the message and the time, so every case is tested without storage or a queue
 * ({@code RefusedClaimTest}); the worker carries the decision out.
 */
public enum RefusedClaim {
    /** Nothing to do: no such run, a join not entered yet, a node waiting for a decision, an old attempt's message. */
    DROP,
    /** The node is final already (or never entered): finish what a stopped worker may have left of the run. */
    REPLAY,
    /** The run's timeout has passed: fail it. */
    TIME_OUT,
    /** The run's scheduled pause is due: take it, then claim again (the node parks). */
    TAKE_SCHEDULED_PAUSE,
    /** The run was only queued: start it, then claim again. */
    START_AND_RETRY,
    /** The run was only queued and paused before it started: start it, then claim the parked node. */
    START_AND_CLAIM_PARKED,
    /** A message of an earlier attempt of a node awaiting its retry: send the retry's message, in case it was lost. */
    RESEND_RETRY,
    /** The run is paused: the node parks where it is. */
    PARK,
    /** The run has ended: what it still has on its frontier is cancelled. */
    CANCEL_LEFTOVERS,
    /** The node is claimable after all (the run changed between the claim and its refusal): claim again. */
    TRY_AGAIN,
    /** The node is a breakpoint, or costs and the run's budget is reached: the run pauses before it ({@link PauseBefore}). */
    PAUSE_BEFORE,
    /** The run's budget is reached, but this node costs nothing: claim it again without the budget's condition. */
    CLAIM_PAST_BUDGET,
    /** A node parked by a pause, its run active again: claim it where it parked. */
    CLAIM_PARKED,
    /** Its worker's lease ran out: take the node over. */
    TAKE_OVER,
    /** Another worker holds it: look again when the lease is over. */
    WAIT_FOR_LEASE,
    /** The run ended while the node waited on work elsewhere: stop that work and cancel the node. */
    STOP_AND_CANCEL,
    /** Woken before its time: sleep on until it is due. */
    WAIT_UNTIL_DUE,
    /** Waiting on work elsewhere (a Step Functions execution) and due: claim it to look at that work. */
    CHECK_WORK,
    /** A delay that is due: it completes. */
    COMPLETE_DELAY,
    /** A map's own message: end it if its children are done, else fill its free slots. */
    TEND_MAP,
    /** An approval decided while the run is active: apply the decision. */
    APPLY_DECISION,
    /** A completed node whose hand-off a stopped worker left unfinished: make the rest of it. */
    FINISH_HAND_OFF;

    /**
     * @param run the run as the refused claim returned it (null: no such run)
     * @param isDelay whether the message's node is a delay (a waiting delay completes; other waiting nodes look
     *                at the work they wait on)
     */
    public static RefusedClaim decide(Run run, String nodeId, int attempt, boolean isDelay, Instant now) {
        return decide(run, nodeId, attempt, isDelay, false, now);
    }

    /** @param costly whether the message's node is of a type that costs ({@link PauseBefore#costs}) */
    public static RefusedClaim decide(Run run, String nodeId, int attempt, boolean isDelay, boolean costly,
                                      Instant now) {
        if (run == null) {
            return DROP;
        }
        NodeState node = run.node(nodeId);
        if (node == null) {
            return REPLAY;
        }
        if (PauseClock.timedOut(run, now)) {
            return TIME_OUT;
        }
        boolean active = Worker.CLAIMABLE.contains(run.status());
        boolean paused = run.status() == RunStatus.PAUSED;
        if (run.status() == RunStatus.QUEUED && (node.phase() == Phase.PENDING || node.phase() == Phase.PAUSED)) {
            return node.phase() == Phase.PENDING ? START_AND_RETRY : START_AND_CLAIM_PARKED;
        }
        return switch (node.phase()) {
            case PENDING -> node.attempt() != attempt ? (attempt < node.attempt() && !run.isTerminal() ? RESEND_RETRY : DROP)
                    : paused ? PARK : run.isTerminal() ? CANCEL_LEFTOVERS
                    : PauseSchedule.pauseDue(run, now) ? TAKE_SCHEDULED_PAUSE
                    : PauseBefore.cause(run, node, costly) != null ? PAUSE_BEFORE
                    : PauseBefore.overBudget(run) ? CLAIM_PAST_BUDGET : TRY_AGAIN;
            case PAUSED -> active ? CLAIM_PARKED : DROP;
            case RUNNING -> node.leaseExpired(now) ? TAKE_OVER : WAIT_FOR_LEASE;
            case WAITING -> paused ? PARK : run.isTerminal() ? STOP_AND_CANCEL : !active ? DROP
                    : now.isBefore(PauseClock.dueAt(run, node, now)) ? WAIT_UNTIL_DUE : isDelay ? COMPLETE_DELAY : CHECK_WORK;
            case MAPPING -> TEND_MAP;
            case DECIDED -> paused ? PARK : active ? APPLY_DECISION : DROP;
            case WAITING_APPROVAL, JOINING -> DROP;
            default -> FINISH_HAND_OFF;
        };
    }
}
