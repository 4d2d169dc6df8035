package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Definition;
import io.metronome.domain.Definition.Edge;
import io.metronome.domain.Definition.NodeType;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a run moves through its graph, as pure functions of the definition and the run's frontier (its active
 * nodes). When a node ends, each of its outgoing edges <em>arrives</em> at its target, taken or not. A node with
 * one source is entered at once: ready if taken, skipped if not. A join waits, as a {@link Phase#JOINING} entry,
 * until every source has arrived; it is ready if any arrival was taken and skipped otherwise. A skipped node
 * sends untaken arrivals on, so skipping cascades downstream.
 *
 * <p>Final nodes leave the frontier, so these functions never need the state of a node that has finished: what a
 * join needs to know of its finished sources, it holds itself.
 */
public final class Graph {
    /** One source's edges reaching a node: whether the run goes on along them; {@code at} dates what it skips. */
    public record Arrival(String target, String from, boolean taken, Instant at) {
    }

    /**
     * What a batch of arrivals does to the frontier: entries to write ({@code null}: remove the entry), nodes it
     * skipped (to record as steps), and the arrivals left over for a later write once {@code budget} was reached.
     */
    public record HandOff(Map<String, NodeState> entries, List<NodeState> skipped, List<Arrival> left) {
        public boolean isEmpty() {
            return entries.isEmpty() && skipped.isEmpty();
        }
    }

    private Graph() {
    }

    /**
     * The arrivals a node sends when it ends: all taken if it completed (out of a branch, only the chosen
     * branch's edges), none taken if it was skipped.
     */
    public static List<Arrival> arrivalsFrom(Definition d, String nodeId, boolean completed, JsonNode metadata, Instant at) {
        Map<String, Boolean> byTarget = new LinkedHashMap<>();
        for (Edge e : d.outgoing(nodeId)) {
            byTarget.merge(e.to(), completed && taken(d, e, metadata), Boolean::logicalOr);
        }
        List<Arrival> out = new ArrayList<>();
        byTarget.forEach((to, taken) -> out.add(new Arrival(to, nodeId, taken, at)));
        return out;
    }

    /**
     * Applies arrivals to the frontier, cascading skips, until {@code budget} entries and skipped steps have been
     * produced (so one write stays within DynamoDB's expression limits); the rest is returned in {@code left}.
     * An arrival at a node the frontier holds in any phase but JOINING is a repeat and changes nothing.
     */
    public static HandOff handOff(Definition d, String runId, Map<String, NodeState> frontier, List<Arrival> arrivals,
                                  Instant now, int budget) {
        Map<String, NodeState> view = new HashMap<>(frontier);
        Map<String, NodeState> entries = new LinkedHashMap<>();
        List<NodeState> skipped = new ArrayList<>();
        Deque<Arrival> queue = new ArrayDeque<>(arrivals);
        while (!queue.isEmpty() && entries.size() + skipped.size() < budget) {
            Arrival a = queue.poll();
            NodeState current = view.get(a.target());
            if (current != null && current.phase() != Phase.JOINING) {
                continue;
            }
            Set<String> sources = sources(d, a.target());
            Boolean anyTaken = a.taken();
            if (sources.size() > 1) {
                ObjectNode arrived = current == null ? Json.object() : ((ObjectNode) current.progress()).deepCopy();
                arrived.put(a.from(), a.taken());
                if (arrived.size() < sources.size()) {
                    NodeState joining = current == null ? NodeState.joining(a.target(), arrived)
                            : current.to(Phase.JOINING).progress(arrived).build();
                    view.put(a.target(), joining);
                    entries.put(a.target(), joining);
                    continue;
                }
                anyTaken = false;
                for (JsonNode t : arrived) {
                    anyTaken |= t.asBoolean();
                }
            }
            if (anyTaken) {
                NodeState ready = NodeState.pending(a.target(), 1, now, null);
                view.put(a.target(), ready);
                entries.put(a.target(), ready);
            } else {
                NodeState skip = NodeState.skipped(a.target(),
                        Ids.derived(Ids.STEP, a.at(), runId + "/" + a.target() + "/skipped"), a.at());
                view.remove(a.target());
                if (current != null) {
                    entries.put(a.target(), null);
                }
                skipped.add(skip);
                queue.addAll(arrivalsFrom(d, a.target(), false, null, a.at()));
            }
        }
        return new HandOff(entries, skipped, new ArrayList<>(queue));
    }

    private static Set<String> sources(Definition d, String nodeId) {
        Set<String> out = new LinkedHashSet<>();
        d.incoming(nodeId).forEach(e -> out.add(e.from()));
        return out;
    }

    /** Whether a completed node's outgoing edge carries the run on: always, except out of a branch node. */
    static boolean taken(Definition d, Edge e, JsonNode metadata) {
        if (d.node(e.from()).type() != NodeType.BRANCH) {
            return true;
        }
        String selected = metadata == null ? null : metadata.path("selectedBranchId").asText(null);
        return e.branchId() != null && e.branchId().equals(selected);
    }

    /** Arrivals as a completed node keeps them while its hand-off is not done (stored with its entry). */
    public static JsonNode toJson(List<Arrival> arrivals) {
        var list = Json.MAPPER.createArrayNode();
        for (Arrival a : arrivals) {
            ObjectNode o = list.addObject();
            o.put("to", a.target());
            o.put("from", a.from());
            o.put("taken", a.taken());
            o.put("at", a.at().toEpochMilli());
        }
        return list;
    }

    public static List<Arrival> fromJson(JsonNode json) {
        List<Arrival> out = new ArrayList<>();
        if (json != null) {
            for (JsonNode o : json) {
                out.add(new Arrival(o.get("to").asText(), o.get("from").asText(), o.get("taken").asBoolean(),
                        Instant.ofEpochMilli(o.get("at").asLong())));
            }
        }
        return out;
    }
}
