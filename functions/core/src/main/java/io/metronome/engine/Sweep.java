package io.metronome.engine;

import io.metronome.domain.Definition;
import io.metronome.domain.NodeState;
import io.metronome.domain.PauseClock;
import io.metronome.domain.Run;
import io.metronome.store.RunRepository;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the sweeper does with a run its index holds as due: which of the messages the run waits for
 * ({@link Recovery#messagesFor}) to send again, and when to look at the run next. A pure function of the run as
 * read and the time, so every case is tested without storage or a queue ({@code SweepTest}).
 *
 * <p>A message is sent again only once it is overdue: a {@code grace} past the moment it was due. That moment is,
 * for a ready node, when it was queued or its retry time, whichever is later; for a node held by a worker, the
 * end of its lease; for a waiting node, its due time; for a node being handed off, applying a decision, tending a
 * map with no child active, or parked in a run active again, the run's last change; for the timeout, the
 * deadline; for a scheduled pause or resume, its time; for closing an ended run, its last change. Each is the
 * node's own, so a branch stranded in a busy run is found while the other branches go on. So a message still
 * on its way is not doubled (and one doubled anyway is dropped by the worker). Nodes waiting for an approval and
 * joins waiting for their sources need none.
 *
 * <p>A message sent again whose run then does not change (a node ready but behind a backlog older than the grace,
 * a message that fails before its node is claimed) stays overdue: the sweeper backs off. After the n-th send in a
 * row to a run at the same revision, it looks again only {@code staleAfter x 2^(n-1)} later, at most an idle
 * interval, so an unchanging run is sent its messages about once an idle interval after a few tries, not once a
 * visit. Any change of the run (a new revision) starts the count again.
 *
 * @param messages what to send now
 * @param next when to look at the run again: the earliest moment one of its messages could become overdue, a
 *             backed-off {@code staleAfter} after a message sent now (so a send that fails is made again then),
 *             at most an {@code idle} interval away; null: the run leaves the index (it has ended and nothing
 *             is left)
 * @param resent what to record of the sweeper's sends with this visit's move; null when it sends nothing
 */
public record Sweep(List<NodeMessage> messages, Instant next, RunRepository.Resent resent) {
    /**
     * An ended run still not closed this long after its end will not be by another message (a cancelled map
     * whose closing chunks were lost): it leaves the index rather than be visited for ever.
     */
    static final Duration ENDED_HORIZON = Duration.ofDays(1);

    public boolean leavesIndex() {
        return next == null;
    }

    /** A run the sweeper has not sent messages to (or not since it last changed). */
    public static Sweep decide(Run run, Instant now, SweepSettings settings) {
        return decide(run, RunRepository.Resent.NEVER, now, settings);
    }

    /** @param resent what the sweeper recorded of its earlier sends to the run */
    public static Sweep decide(Run run, RunRepository.Resent resent, Instant now, SweepSettings settings) {
        List<NodeMessage> needed = Recovery.messagesFor(run);
        if (run.isTerminal() && (needed.isEmpty()
                || (run.completedAt() != null && run.completedAt().plus(ENDED_HORIZON).isBefore(now)))) {
            return new Sweep(List.of(), null, null);
        }
        int inARow = resentInARow(run, resent);
        List<NodeMessage> send = new ArrayList<>();
        Instant next = now.plus(settings.idle());
        for (NodeMessage m : needed) {
            Instant at = overdueAt(run, m, settings.grace());
            if (at == null) {
                continue;
            }
            if (!at.isAfter(now)) {
                send.add(m);
                at = now.plus(backoff(settings, inARow));
            }
            if (at.isBefore(next)) {
                next = at;
            }
        }
        return new Sweep(send, next, send.isEmpty() ? null : new RunRepository.Resent(inARow + 1, run.rev()));
    }

    /** How many visits in a row the run was sent messages as it is now: none once it has changed since. */
    static int resentInARow(Run run, RunRepository.Resent resent) {
        return resent.rev() == run.rev() ? resent.times() : 0;
    }

    /** How long after a send the run is looked at again, when it was sent messages this many visits before in a row. */
    static Duration backoff(SweepSettings settings, int resentBefore) {
        return doubled(settings.staleAfter(), resentBefore, settings.idle());
    }

    /** {@code first} doubled {@code times} times, at most {@code most}: how long to wait after that many sends in vain. */
    static Duration doubled(Duration first, int times, Duration most) {
        Duration wait = first;
        for (int i = 0; i < times && wait.compareTo(most) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(most) < 0 ? wait : most;
    }

    /** When the message becomes overdue; null when the run does not need it for now. */
    static Instant overdueAt(Run run, NodeMessage m, Duration grace) {
        Instant due = switch (m.kind()) {
            case DEADLINE -> run.deadlineAt();
            case SCHEDULE -> m.notBefore();
            case NODE -> run.node(m.nodeId()) == null ? run.updatedAt() : nodeDue(run, run.node(m.nodeId()));
            case CLOSE, STOP -> run.updatedAt();
        };
        return due == null ? null : due.plus(grace);
    }

    private static Instant nodeDue(Run run, NodeState s) {
        return switch (s.phase()) {
            case PENDING -> later(s.queuedAt() != null ? s.queuedAt() : run.updatedAt(), s.notBefore());
            case RUNNING -> s.leaseUntil() != null ? s.leaseUntil() : run.updatedAt();
            // a frozen delay's due time as of the run's last write (exact while the run is not paused)
            case WAITING -> s.dueAt() != null ? PauseClock.dueAt(run, s, run.updatedAt()) : run.updatedAt();
            // Its active children move it on, and are looked after themselves.
            case MAPPING -> childActive(run, s.nodeId()) ? null : run.updatedAt();
            default -> run.updatedAt();
        };
    }

    private static boolean childActive(Run run, String mapId) {
        return run.nodes().keySet().stream().anyMatch(id -> mapId.equals(Definition.mapOf(id)));
    }

    private static Instant later(Instant a, Instant b) {
        return b == null || a.isAfter(b) ? a : b;
    }
}
