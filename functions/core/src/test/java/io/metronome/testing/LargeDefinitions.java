package io.metronome.testing;

/** Definitions at the size limits, as JSON text, for the parser and the store. */
public final class LargeDefinitions {
    private LargeDefinitions() {
    }

    /** {@code nodes} transform nodes in a chain, {@code c0 -> c1 -> ...}. */
    public static String chain(int nodes) {
        StringBuilder n = new StringBuilder();
        StringBuilder e = new StringBuilder();
        for (int i = 0; i < nodes; i++) {
            node(n, "c" + i, "input.value + " + i);
            if (i > 0) {
                edge(e, "c" + (i - 1), "c" + i);
            }
        }
        return definition(n, e, "c0");
    }

    /**
     * A node {@code fan} with {@code successors} transform nodes {@code t0...} after it, all joined by one node
     * {@code join}, then a chain of {@code tail} more: {@code successors + tail + 2} nodes in all.
     */
    public static String fanOut(int successors, int tail) {
        StringBuilder n = new StringBuilder();
        StringBuilder e = new StringBuilder();
        node(n, "fan", "input");
        for (int i = 0; i < successors; i++) {
            node(n, "t" + i, "input.items[" + i + "].price * 1.2");
            edge(e, "fan", "t" + i);
            edge(e, "t" + i, "join");
        }
        node(n, "join", "nodes.t0 + nodes.t" + (successors - 1));
        String previous = "join";
        for (int i = 0; i < tail; i++) {
            node(n, "c" + i, "nodes.join + " + i);
            edge(e, previous, "c" + i);
            previous = "c" + i;
        }
        return definition(n, e, "fan");
    }

    private static void node(StringBuilder out, String id, String expression) {
        out.append(out.isEmpty() ? "" : ",\n").append("{\"id\": \"").append(id)
                .append("\", \"type\": \"transform\", \"config\": {\"expression\": \"").append(expression).append("\"}}");
    }

    private static void edge(StringBuilder out, String from, String to) {
        out.append(out.isEmpty() ? "" : ",\n").append("{\"from\": \"").append(from).append("\", \"to\": \"")
                .append(to).append("\"}");
    }

    private static String definition(StringBuilder nodes, StringBuilder edges, String start) {
        return "{\"nodes\": [" + nodes + "],\n\"edges\": [" + edges + "],\n\"startNodeId\": \"" + start + "\"}";
    }
}
