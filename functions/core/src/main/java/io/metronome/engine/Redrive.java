package io.metronome.engine;

import io.metronome.domain.Definition;
import io.metronome.domain.Ids;
import io.metronome.domain.NodeState;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a failed or cancelled run goes on from when it is redriven: a pure decision from its definition and its
 * step records. An ended run's frontier has left the run item (final nodes leave it, and the end cancels or
 * drops the rest), so the frontier is derived again: a node is <em>done</em> when its latest step completed or
 * was skipped; every done node's edges arrive again (taken or not, a branch's as it chose) at the nodes not done,
 * through {@link Graph#handOff}, as they arrived when the run first went by. What comes out is what the run
 * would hold had the failed and cancelled nodes never run: ready nodes (a first attempt, afresh), joins with the
 * arrivals of their done sources, and skips a join that only now has all its sources owes.
 *
 * <p>A map is one node here: its children ({@code map[3]}) are not nodes of the definition, so a map that failed
 * or was cancelled is entered again as a whole, and its children are its own affair: as it fills its slots it
 * counts a child that completed in an earlier pass as succeeded, with its output kept, and starts only the others
 * ({@link MapProgress#topUp}, {@link KeptChildren}). What is done is read from the children's stored outputs, a
 * page at a time, never listed on the run item, so a redriven map of 10,000 children costs what its failed ones
 * do, plus a key read per kept one.
 */
public final class Redrive {
    /** Entries to put on the run item (ready nodes and waiting joins) and nodes to record as skipped. */
    public record Frontier(Map<String, NodeState> entries, List<NodeState> skipped) {
        public List<String> ready() {
            return entries.values().stream().filter(s -> s.phase() == NodeState.Phase.PENDING)
                    .map(NodeState::nodeId).toList();
        }
    }

    private Redrive() {
    }

    /** The id of the step a redrive records for a node it skips. */
    static String skippedStepId(String runId, String nodeId, int redrive, Instant now) {
        return Ids.derived(Ids.STEP, now, runId + "/" + nodeId + "/redrive-" + redrive + "/skipped");
    }

    /** Whether a run in this status may be redriven: one that failed or was cancelled. */
    public static boolean redrivable(io.metronome.domain.RunStatus status) {
        return status == io.metronome.domain.RunStatus.FAILED || status == io.metronome.domain.RunStatus.CANCELLED;
    }

    /**
     * @param redrive which redrive of the run this is (1 for the first): a skipped step's id is derived from the
     *                run, the node and it (and sorts at {@code now}), so every try of the same redrive makes the
     *                same record, and another redrive a record of its own
     * @param steps every step record of the run (the order does not matter: the latest of a node is the one with
     *              the greatest id, ids sorting by time)
     */
    public static Frontier frontier(Definition d, String runId, int redrive, List<Step> steps, Instant now) {
        Map<String, Step> latest = new HashMap<>();
        for (Step s : steps) {
            if (Definition.mapOf(s.nodeId()) != null || !d.hasNode(s.nodeId())) {
                continue; // a map's child: its map stands for it
            }
            latest.merge(s.nodeId(), s, (a, b) -> a.id().compareTo(b.id()) >= 0 ? a : b);
        }
        Map<String, Step> done = new LinkedHashMap<>();
        latest.forEach((id, s) -> {
            if (s.status() == StepStatus.COMPLETED || s.status() == StepStatus.SKIPPED) {
                done.put(id, s);
            }
        });
        Map<String, NodeState> entries = new LinkedHashMap<>();
        List<NodeState> skipped = new ArrayList<>();
        if (!done.containsKey(d.startNodeId())) {
            entries.put(d.startNodeId(), NodeState.pending(d.startNodeId(), 1, now, null));
            return new Frontier(entries, skipped); // nothing past the start has run (or counts) yet
        }
        List<Graph.Arrival> arrivals = new ArrayList<>();
        for (Step s : done.values()) {
            for (Graph.Arrival a : Graph.arrivalsFrom(d, s.nodeId(), s.status() == StepStatus.COMPLETED, s.metadata(), now)) {
                if (!done.containsKey(a.target())) {
                    arrivals.add(a);
                }
            }
        }
        Graph.HandOff h = Graph.handOff(d, runId, Map.of(), arrivals, now, Integer.MAX_VALUE);
        h.entries().forEach((id, s) -> {
            if (s != null) {
                entries.put(id, s);
            }
        });
        for (NodeState s : h.skipped()) {
            skipped.add(NodeState.skipped(s.nodeId(), skippedStepId(runId, s.nodeId(), redrive, now), now));
        }
        return new Frontier(entries, skipped);
    }
}
