package io.metronome.dynamodb;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A parsed UpdateExpression. Every operand reads the item as it was before the update; then SET, REMOVE, ADD and
 * DELETE apply in turn.
 */
record UpdateExpression(List<SetAction> sets, List<Path> removes, List<AddAction> adds, List<DeleteAction> deletes) {

    record SetAction(Path path, Operand value) {
    }

    record AddAction(Path path, Value value) {
    }

    record DeleteAction(Path path, Value value) {
    }

    /** Every path the update writes, in the expression's order. */
    List<Path> paths() {
        List<Path> paths = new ArrayList<>();
        sets.forEach(s -> paths.add(s.path));
        paths.addAll(removes);
        adds.forEach(a -> paths.add(a.path));
        deletes.forEach(d -> paths.add(d.path));
        return paths;
    }

    /**
     * The item after the update. {@code keyAttributes} may not be written (DynamoDB refuses an update of a key
     * attribute even to its own value).
     */
    Map<String, Value> apply(Map<String, Value> before, Set<String> keyAttributes) {
        checkKeyNotWritten(keyAttributes);
        Map<Path, Value> values = new TreeMap<>(UpdateExpression::pathOrder);
        for (SetAction s : sets) {
            values.put(s.path, Operand.required(s.value, before));
        }
        // In path order: SETs past the end of one list append "sorted in order by element number" (DynamoDB's
        // rule); SETs to distinct paths commute otherwise.
        Map<String, Value> item = before;
        for (Map.Entry<Path, Value> set : values.entrySet()) {
            item = set.getKey().set(item, set.getValue());
        }
        // Indexes name positions in the list as it was: remove the highest first so the others do not move.
        List<Path> ordered = new ArrayList<>(removes);
        ordered.sort((x, y) -> pathOrder(y, x));
        for (Path p : ordered) {
            item = p.remove(item);
        }
        for (AddAction a : adds) {
            item = a.path.set(item, added(a.path.get(item), a.value));
        }
        for (DeleteAction d : deletes) {
            Value current = d.path.get(item);
            if (current != null) {
                Value rest = withoutElements(current, d.value);
                item = rest == null ? d.path.remove(item) : d.path.set(item, rest);
            }
        }
        return item;
    }

    /** Paths in order element by element: names alphabetically, list indexes by number, a prefix first. */
    /** A key attribute may not be written, even to its own value; checked before any condition. */
    void checkKeyNotWritten(Set<String> keyAttributes) {
        for (Path p : paths()) {
            if (keyAttributes.contains(p.top())) {
                throw DynamoDbException.invalidParameter("Cannot update attribute " + p.top()
                        + ". This attribute is part of the key");
            }
        }
    }

    private static int pathOrder(Path a, Path b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            Object x = a.elements().get(i);
            Object y = b.elements().get(i);
            int c;
            if (x instanceof Integer xi && y instanceof Integer yi) {
                c = Integer.compare(xi, yi);
            } else if (x instanceof String xs && y instanceof String ys) {
                c = xs.compareTo(ys);
            } else {
                c = x instanceof Integer ? -1 : 1;
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    private static Value added(Value current, Value addend) {
        if (current == null) {
            return addend;
        }
        if (current instanceof Value.N n && addend instanceof Value.N m) {
            return new Value.N(Numbers.check(n.value().add(m.value())));
        }
        if (current instanceof Value.SS s && addend instanceof Value.SS t) {
            return new Value.SS(union(s.values(), t.values()));
        }
        if (current instanceof Value.NS s && addend instanceof Value.NS t) {
            return new Value.NS(union(s.values(), t.values()));
        }
        if (current instanceof Value.BS s && addend instanceof Value.BS t) {
            return new Value.BS(union(s.values(), t.values()));
        }
        throw Operand.incorrectType();
    }

    /** The set without the given elements, or null when nothing is left (DynamoDB then removes the attribute). */
    private static Value withoutElements(Value current, Value removed) {
        if (current instanceof Value.SS s && removed instanceof Value.SS t) {
            Set<String> rest = difference(s.values(), t.values());
            return rest.isEmpty() ? null : new Value.SS(rest);
        }
        if (current instanceof Value.NS s && removed instanceof Value.NS t) {
            Set<BigDecimal> rest = difference(s.values(), t.values());
            return rest.isEmpty() ? null : new Value.NS(rest);
        }
        if (current instanceof Value.BS s && removed instanceof Value.BS t) {
            Set<Value.Bytes> rest = difference(s.values(), t.values());
            return rest.isEmpty() ? null : new Value.BS(rest);
        }
        throw Operand.incorrectType();
    }

    private static <T> Set<T> union(Set<T> a, Set<T> b) {
        Set<T> out = new LinkedHashSet<>(a);
        out.addAll(b);
        return out;
    }

    private static <T> Set<T> difference(Set<T> a, Set<T> b) {
        Set<T> out = new LinkedHashSet<>(a);
        out.removeAll(b);
        return out;
    }
}
