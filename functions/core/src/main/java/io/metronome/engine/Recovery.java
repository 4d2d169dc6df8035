package io.metronome.engine;

import io.metronome.domain.NodeState;
import io.metronome.domain.PauseClock;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.store.RunRepository;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a run waits for on the queue, derived from its node states ({@link #messagesFor}): the one place that
 * knows, for the sweeper ({@link Sweep}) and for the local stack's start-up, which puts back every such message
 * of every run in the sweep index, because its queue does not outlive the process while the runs (in a data
 * directory) do. Safe at any time: the worker drops what is not needed.
 */
public final class Recovery {
    private static final int PAGE = 100;

    private final RunRepository runs;
    private final Dispatcher dispatcher;

    public Recovery(RunRepository runs, Dispatcher dispatcher) {
        this.runs = runs;
        this.dispatcher = dispatcher;
    }

    /** @return how many runs the sweep index holds (each was sent what it waits for) */
    public int redispatchUnfinished() {
        int found = 0;
        try {
            for (String shard : RunRepository.sweepShards()) {
                Map<String, AttributeValue> start = null;
                do {
                    RunRepository.DuePage page = runs.sweepDue(shard, null, PAGE, start);
                    for (RunRepository.Due due : page.runs()) {
                        found++;
                        List<NodeMessage> messages = messagesFor(due.run());
                        if (!messages.isEmpty()) {
                            dispatcher.send(messages);
                        }
                    }
                    start = page.lastKey();
                } while (start != null);
            }
        } catch (DynamoDbException e) {
            if (e.getMessage() == null || !e.getMessage().contains("does not have the specified index")) {
                throw e;
            }
            org.slf4j.LoggerFactory.getLogger(Recovery.class).error("The runs table here has no sweep index (its data "
                    + "directory predates it): its runs are not recovered and the sweeper cannot run. Start with a new --data-dir.");
        }
        return found;
    }

    /**
     * Every message the run waits for: one per node that a message moves on (ready, held under a lease, waiting
     * for its time, being handed off, applying a decision, tending its map, parked in a run that is active
     * again), its timeout's, its scheduled pause's or resume's, and for an ended run not yet closed (or with nodes left) the message that closes it.
     */
    public static List<NodeMessage> messagesFor(Run run) {
        List<NodeMessage> out = new ArrayList<>();
        if (run.isTerminal()) {
            for (NodeState s : run.nodes().values()) {
                if (s.phase() == NodeState.Phase.RUNNING) {
                    out.add(held(run, s)); // taken over, its attempt is recorded; the rest is cancelled by the close
                }
            }
            if (!run.nodes().isEmpty() || (!run.closed() && run.status() != RunStatus.COMPLETED)) {
                out.add(NodeMessage.closeRun(run.id()));
            }
            return out;
        }
        boolean active = Worker.CLAIMABLE.contains(run.status()) || run.status() == RunStatus.QUEUED;
        for (NodeState s : run.nodes().values()) {
            switch (s.phase()) {
                case PENDING -> out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(), s.notBefore()));
                case RUNNING -> out.add(held(run, s));
                case WAITING -> out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(),
                        s.dueAt() == null ? null : PauseClock.dueAt(run, s, run.updatedAt())));
                case DECIDED, MAPPING, COMPLETED -> out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(), null));
                case PAUSED -> {
                    if (active) {
                        out.add(NodeMessage.node(run.id(), s.nodeId(), s.attempt(), null));
                    }
                }
                default -> {
                    // waiting for an approval, or a join for its other sources: no message moves it
                }
            }
        }
        if (run.nodes().isEmpty() && run.lastNodeId() != null) {
            // Every node is done but the run never ended (the worker stopped before that write): a message for
            // its last node finds it final and finishes the run.
            out.add(NodeMessage.node(run.id(), run.lastNodeId(), 0, null));
        }
        if (run.deadlineAt() != null) {
            out.add(NodeMessage.deadline(run.id(), run.deadlineAt()));
        }
        NodeMessage schedule = PauseSchedule.message(run);
        if (schedule != null) {
            out.add(schedule);
        }
        return out;
    }

    /** The worker that held it is gone: once its lease runs out the node is taken over. */
    private static NodeMessage held(Run run, NodeState s) {
        return NodeMessage.node(run.id(), s.nodeId(), s.attempt(), s.leaseUntil() == null ? null : s.leaseUntil().plusSeconds(1));
    }
}
