package io.metronome.engine;

import io.metronome.domain.NodeState;
import io.metronome.domain.Run;
import io.metronome.store.RunRepository;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts back on the queue every message an unfinished run is waiting for, derived from its node states. Safe to
 * run at any time, since the worker drops what is not needed; the local stack runs it at start-up, because its
 * queue does not outlive the process while the runs (in a data directory) do.
 */
public final class Recovery {
    private final RunRepository runs;
    private final Dispatcher dispatcher;

    public Recovery(RunRepository runs, Dispatcher dispatcher) {
        this.runs = runs;
        this.dispatcher = dispatcher;
    }

    /** @return how many runs were found unfinished */
    public int redispatchUnfinished() {
        List<Run> unfinished = runs.scanUnfinished();
        for (Run run : unfinished) {
            List<NodeMessage> messages = new ArrayList<>(messagesFor(run));
            if (!messages.isEmpty()) {
                dispatcher.send(messages);
            }
        }
        return unfinished.size();
    }

    static List<NodeMessage> messagesFor(Run run) {
        List<NodeMessage> out = new ArrayList<>();
        boolean active = Worker.CLAIMABLE.contains(run.status()) || run.status() == io.metronome.domain.RunStatus.QUEUED;
        for (NodeState s : run.nodes().values()) {
            switch (s.phase()) {
                case PENDING -> out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(), s.notBefore()));
                // The worker that held it is gone; once its lease runs out the node is taken over.
                case RUNNING -> out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(),
                        s.leaseUntil() == null ? null : s.leaseUntil().plusSeconds(1)));
                case WAITING -> out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(), s.dueAt()));
                case DECIDED, MAPPING, COMPLETED -> out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(), null));
                case PAUSED -> {
                    if (active) {
                        out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(), null));
                    }
                }
                default -> {
                    // waiting for an approval, or done: no message needed
                }
            }
        }
        if (run.deadlineAt() != null) {
            out.add(NodeMessage.deadline(run.id(), run.deadlineAt()));
        }
        return out;
    }
}
