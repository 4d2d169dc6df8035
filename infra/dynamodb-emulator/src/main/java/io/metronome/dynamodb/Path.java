package io.metronome.dynamodb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A document path: an attribute name, then map keys and list indexes ({@code a.b[2].c}). Elements are Strings
 * (names, placeholders already resolved) or Integers (list indexes).
 */
record Path(List<Object> elements) {

    Path {
        elements = List.copyOf(elements);
    }

    static Path of(String attribute) {
        return new Path(List.of(attribute));
    }

    String top() {
        return (String) elements.get(0);
    }

    int length() {
        return elements.size();
    }

    /** The value at this path in an item, or null when any step is missing or of the wrong kind. */
    Value get(Map<String, Value> item) {
        Value current = item.get(top());
        for (int i = 1; i < elements.size() && current != null; i++) {
            current = step(current, elements.get(i));
        }
        return current;
    }

    private static Value step(Value v, Object element) {
        if (element instanceof String name) {
            return v instanceof Value.M m ? m.values().get(name) : null;
        }
        int index = (Integer) element;
        return v instanceof Value.L l && index < l.values().size() ? l.values().get(index) : null;
    }

    /**
     * The item with the value at this path replaced or added. A missing parent, or a parent of the wrong kind, is
     * DynamoDB's "document path ... invalid for update"; an index past a list's end appends.
     */
    Map<String, Value> set(Map<String, Value> item, Value value) {
        Map<String, Value> copy = new LinkedHashMap<>(item);
        if (elements.size() == 1) {
            copy.put(top(), value);
            return copy;
        }
        Value parent = item.get(top());
        if (parent == null) {
            throw invalidForUpdate();
        }
        copy.put(top(), setIn(parent, 1, value));
        return copy;
    }

    private Value setIn(Value container, int i, Value value) {
        Object element = elements.get(i);
        boolean last = i == elements.size() - 1;
        if (element instanceof String name) {
            if (!(container instanceof Value.M m)) {
                throw invalidForUpdate();
            }
            Map<String, Value> values = new LinkedHashMap<>(m.values());
            if (last) {
                values.put(name, value);
            } else {
                Value child = values.get(name);
                if (child == null) {
                    throw invalidForUpdate();
                }
                values.put(name, setIn(child, i + 1, value));
            }
            return new Value.M(values);
        }
        int index = (Integer) element;
        if (!(container instanceof Value.L l)) {
            throw invalidForUpdate();
        }
        List<Value> values = new ArrayList<>(l.values());
        if (last) {
            if (index < values.size()) {
                values.set(index, value);
            } else {
                values.add(value);
            }
        } else {
            if (index >= values.size()) {
                throw invalidForUpdate();
            }
            values.set(index, setIn(values.get(index), i + 1, value));
        }
        return new Value.L(values);
    }

    /** The item without the value at this path; a path that is not there changes nothing. */
    Map<String, Value> remove(Map<String, Value> item) {
        Value top = item.get(top());
        if (top == null) {
            return item;
        }
        Map<String, Value> copy = new LinkedHashMap<>(item);
        if (elements.size() == 1) {
            copy.remove(top());
            return copy;
        }
        Value changed = removeIn(top, 1);
        if (changed == top) {
            return item;
        }
        copy.put(top(), changed);
        return copy;
    }

    private Value removeIn(Value container, int i) {
        Object element = elements.get(i);
        boolean last = i == elements.size() - 1;
        if (element instanceof String name) {
            if (!(container instanceof Value.M m) || !m.values().containsKey(name)) {
                return container;
            }
            Map<String, Value> values = new LinkedHashMap<>(m.values());
            if (last) {
                values.remove(name);
            } else {
                Value child = values.get(name);
                Value changed = removeIn(child, i + 1);
                if (changed == child) {
                    return container;
                }
                values.put(name, changed);
            }
            return new Value.M(values);
        }
        int index = (Integer) element;
        if (!(container instanceof Value.L l) || index >= l.values().size()) {
            return container;
        }
        List<Value> values = new ArrayList<>(l.values());
        if (last) {
            values.remove(index);
        } else {
            Value child = values.get(index);
            Value changed = removeIn(child, i + 1);
            if (changed == child) {
                return container;
            }
            values.set(index, changed);
        }
        return new Value.L(values);
    }

    /** True when one path is this one or lies inside it (DynamoDB's "overlap"). */
    boolean overlaps(Path other) {
        int n = Math.min(length(), other.length());
        for (int i = 0; i < n; i++) {
            if (!elements.get(i).equals(other.elements.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** True when the paths treat one container as a map in one and a list in the other (DynamoDB's "conflict"). */
    boolean conflicts(Path other) {
        int n = Math.min(length(), other.length());
        for (int i = 0; i < n; i++) {
            Object a = elements.get(i);
            Object b = other.elements.get(i);
            if (a.getClass() != b.getClass()) {
                return true;
            }
            if (!a.equals(b)) {
                return false;
            }
        }
        return false;
    }

    private static DynamoDbException invalidForUpdate() {
        return DynamoDbException.validation("The document path provided in the update expression is invalid for update");
    }

    /** As DynamoDB prints a path in its messages: [a, b, [2]]. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Object e : elements) {
            parts.add(e instanceof Integer ? "[" + e + "]" : (String) e);
        }
        return parts.toString();
    }
}
