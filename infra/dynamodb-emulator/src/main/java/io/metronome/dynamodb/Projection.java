package io.metronome.dynamodb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The part of an item that a ProjectionExpression (or an update's UPDATED_OLD / UPDATED_NEW) names: nested paths
 * keep their containers, and list elements picked by index keep their order, compacted.
 */
final class Projection {
    private Projection() {
    }

    static Map<String, Value> apply(Map<String, Value> item, List<Path> paths) {
        if (paths == null || item == null) {
            return item;
        }
        Node root = new Node();
        for (Path p : paths) {
            Value v = p.get(item);
            if (v != null) {
                root.put(p.elements(), 0, v);
            }
        }
        Map<String, Value> out = new LinkedHashMap<>();
        root.names.forEach((name, node) -> out.put(name, node.build()));
        return out;
    }

    /** A tree of the picked parts: a leaf holds a whole value; inner nodes hold map keys or list indexes. */
    private static final class Node {
        Value whole;
        final Map<String, Node> names = new LinkedHashMap<>();
        final TreeMap<Integer, Node> indexes = new TreeMap<>();

        void put(List<Object> path, int i, Value v) {
            if (i == path.size()) {
                whole = v;
                return;
            }
            Object e = path.get(i);
            Node child = e instanceof String s ? names.computeIfAbsent(s, k -> new Node())
                    : indexes.computeIfAbsent((Integer) e, k -> new Node());
            child.put(path, i + 1, v);
        }

        Value build() {
            if (whole != null) {
                return whole;
            }
            if (!indexes.isEmpty()) {
                List<Value> values = new ArrayList<>();
                indexes.values().forEach(n -> values.add(n.build()));
                return new Value.L(values);
            }
            Map<String, Value> values = new LinkedHashMap<>();
            names.forEach((k, n) -> values.put(k, n.build()));
            return new Value.M(values);
        }
    }
}
