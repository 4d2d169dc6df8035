package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated workflow graph: nodes, edges and the start node. Immutable; built only by
 * {@link DefinitionParser}, which guarantees unique ids, existing edge ends, one start node, reachability and no
 * cycles.
 */
public final class Definition {

    public enum NodeType {
        TRANSFORM("transform"), BRANCH("branch"), DELAY("delay"), APPROVAL("approval"), HTTP("http"),
        SUCCEED("succeed"), FAIL("fail"), LLM("llm"), SQS("sqs"), STEP_FUNCTION("stepFunction"), MAP("map");

        private final String wire;

        NodeType(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public static NodeType fromWire(String value) {
            for (NodeType t : values()) {
                if (t.wire.equals(value)) {
                    return t;
                }
            }
            return null;
        }
    }

    /** Retry policy of a node: at most {@code maxAttempts} attempts, waiting interval * backoffRate^(n-1) between. */
    public record Retry(int maxAttempts, double intervalSeconds, double backoffRate) {
        public long delayMillisAfter(int failedAttempt) {
            return Math.round(intervalSeconds * 1000 * Math.pow(backoffRate, Math.max(0, failedAttempt - 1)));
        }
    }

    public record Node(String id, NodeType type, JsonNode config, Retry retry) {
    }

    public record Edge(String id, String from, String to, String branchId) {
    }

    /** What a node's expressions read from the run: the run's input, and the outputs of these nodes. */
    public record Reads(java.util.Set<String> nodes, boolean input, boolean item) {
    }

    private final String startNodeId;
    private final Map<String, Node> nodes;
    private final List<Edge> edges;
    private final Map<String, List<Edge>> outgoing = new LinkedHashMap<>();
    private final Map<String, List<Edge>> incoming = new LinkedHashMap<>();
    private final JsonNode source;
    private final Map<String, Reads> reads = new java.util.concurrent.ConcurrentHashMap<>();
    /** Each map node's iterator: the node its children run. */
    private final Map<String, Node> iterators;

    Definition(String startNodeId, List<Node> nodes, List<Edge> edges, JsonNode source, Map<String, Node> iterators) {
        this.startNodeId = startNodeId;
        this.iterators = Map.copyOf(iterators);
        Map<String, Node> byId = new LinkedHashMap<>();
        for (Node n : nodes) {
            byId.put(n.id(), n);
            outgoing.put(n.id(), new ArrayList<>());
            incoming.put(n.id(), new ArrayList<>());
        }
        this.nodes = Collections.unmodifiableMap(byId);
        this.edges = List.copyOf(edges);
        for (Edge e : edges) {
            outgoing.get(e.from()).add(e);
            incoming.get(e.to()).add(e);
        }
        this.source = source;
    }

    public String startNodeId() {
        return startNodeId;
    }

    /** The id of a map's child: {@code <mapId>[<index>]} (node ids cannot hold brackets, so it names no node). */
    public static String childId(String mapId, int index) {
        return mapId + "[" + index + "]";
    }

    /** The map a child id belongs to, or null when the id is not a child's. */
    public static String mapOf(String id) {
        int open = id.indexOf('[');
        return open > 0 && id.endsWith("]") ? id.substring(0, open) : null;
    }

    public static int indexOf(String childId) {
        return Integer.parseInt(childId.substring(childId.indexOf('[') + 1, childId.length() - 1));
    }

    /** A node by id; a map's child is its map's iterator under the child's own id. */
    public Node node(String id) {
        String map = mapOf(id);
        if (map != null && iterators.containsKey(map)) {
            Node it = iterators.get(map);
            return new Node(id, it.type(), it.config(), it.retry());
        }
        Node n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id);
        }
        return n;
    }

    public boolean hasNode(String id) {
        return nodes.containsKey(id);
    }

    public Map<String, Node> nodes() {
        return nodes;
    }

    public List<Edge> edges() {
        return edges;
    }

    /** Edges out of a node (none out of a map's child: its map moves on once all have ended). */
    public List<Edge> outgoing(String nodeId) {
        return outgoing.getOrDefault(nodeId, List.of());
    }

    public List<Edge> incoming(String nodeId) {
        return incoming.getOrDefault(nodeId, List.of());
    }

    /** What the node's expressions read, worked out once per definition (a version's is cached with it). */
    public Reads reads(String nodeId) {
        String map = mapOf(nodeId);
        return reads.computeIfAbsent(map != null ? map + "[]" : nodeId, id -> ExpressionReads.of(node(nodeId).config()));
    }

    /** The cost budget a run of this definition starts with, in cents ({@code budgetCt}); null: none. */
    public Double budgetCt() {
        JsonNode b = source.get("budgetCt");
        return b == null || !b.isNumber() ? null : b.asDouble();
    }

    /** The definition as the user wrote it (normalised), for storage and for the API. */
    public JsonNode source() {
        return source;
    }

    /** Definitions are equal when their normalised sources are: everything else is derived from the source. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Definition d && source.equals(d.source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }
}
