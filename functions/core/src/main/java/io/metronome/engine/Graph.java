package io.metronome.engine;

import io.metronome.domain.Definition;
import io.metronome.domain.Definition.Edge;
import io.metronome.domain.Definition.NodeType;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How a run moves through its graph, as pure functions of the definition and the node states. A node becomes
 * ready once every incoming edge is resolved and at least one was taken (so a join waits for all of its active
 * predecessors); it is skipped when all are resolved and none was taken (a branch not chosen), and skipping
 * cascades downstream.
 */
public final class Graph {
    public enum Resolution { READY, SKIP }

    private Graph() {
    }

    /** Nodes not yet entered in the run that the current states make ready or skipped, in definition order. */
    public static Map<String, Resolution> advance(Definition d, Map<String, NodeState> states) {
        Map<String, Phase> view = new HashMap<>();
        states.forEach((id, s) -> view.put(id, s.phase()));
        Map<String, Resolution> result = new LinkedHashMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (String id : d.nodes().keySet()) {
                if (view.containsKey(id) || id.equals(d.startNodeId())) {
                    continue;
                }
                Resolution r = resolve(d, id, view, states);
                if (r != null) {
                    result.put(id, r);
                    view.put(id, r == Resolution.SKIP ? Phase.SKIPPED : Phase.PENDING);
                    changed = true;
                }
            }
        }
        return result;
    }

    private static Resolution resolve(Definition d, String nodeId, Map<String, Phase> view, Map<String, NodeState> states) {
        boolean anyTaken = false;
        for (Edge e : d.incoming(nodeId)) {
            Phase p = view.get(e.from());
            if (p == null || !p.isFinal()) {
                return null;
            }
            anyTaken |= p == Phase.COMPLETED && taken(d, e, states.get(e.from()));
        }
        return anyTaken ? Resolution.READY : Resolution.SKIP;
    }

    /** Whether a completed node's outgoing edge carries the run on: always, except out of a branch node. */
    static boolean taken(Definition d, Edge e, NodeState from) {
        if (d.node(e.from()).type() != NodeType.BRANCH) {
            return true;
        }
        String selected = from == null || from.metadata() == null ? null
                : from.metadata().path("selectedBranchId").asText(null);
        return e.branchId() != null && e.branchId().equals(selected);
    }

    /** True when no node is still to run: nothing in progress and nothing left to become ready. */
    public static boolean finished(Definition d, Map<String, NodeState> states) {
        return states.values().stream().allMatch(s -> s.phase().isFinal()) && advance(d, states).isEmpty();
    }

    /** The run's output: that of the node that completed last. */
    public static Optional<NodeState> lastCompleted(Map<String, NodeState> states) {
        return states.values().stream().filter(s -> s.phase() == Phase.COMPLETED && s.completedAt() != null)
                .max(Comparator.comparing(NodeState::completedAt).thenComparing(NodeState::stepId));
    }
}
