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
        SUCCEED("succeed"), FAIL("fail"), LLM("llm"), SQS("sqs"), STEP_FUNCTION("stepFunction");

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
    public record Reads(java.util.Set<String> nodes, boolean input) {
    }

    private final String startNodeId;
    private final Map<String, Node> nodes;
    private final List<Edge> edges;
    private final Map<String, List<Edge>> outgoing = new LinkedHashMap<>();
    private final Map<String, List<Edge>> incoming = new LinkedHashMap<>();
    private final JsonNode source;
    private final Map<String, Reads> reads = new java.util.concurrent.ConcurrentHashMap<>();

    Definition(String startNodeId, List<Node> nodes, List<Edge> edges, JsonNode source) {
        this.startNodeId = startNodeId;
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

    public Node node(String id) {
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

    public List<Edge> outgoing(String nodeId) {
        return outgoing.get(nodeId);
    }

    public List<Edge> incoming(String nodeId) {
        return incoming.get(nodeId);
    }

    /** What the node's expressions read, worked out once per definition (a version's is cached with it). */
    public Reads reads(String nodeId) {
        return reads.computeIfAbsent(nodeId, id -> ExpressionReads.of(node(id).config()));
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
