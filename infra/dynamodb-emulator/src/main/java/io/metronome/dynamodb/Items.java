package io.metronome.dynamodb;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Items (attribute name to value) and the rules on them that do not depend on a table. */
final class Items {
    /** DynamoDB's item size limit, names and values included. */
    static final long MAX_ITEM_SIZE = 400 * 1024;
    /** Levels of nesting DynamoDB allows, the attribute itself being the first: 31 lists or maps inside it. */
    static final int MAX_LEVELS = 32;

    private Items() {
    }

    static Map<String, Value> copy(Map<String, Value> values) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    static <T> Set<T> orderedSet(Collection<T> values) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(values));
    }

    /** An item's size as DynamoDB counts it: the UTF-8 length of every attribute name plus the size of its value. */
    static long size(Map<String, Value> item) {
        if (item == null) {
            return 0;
        }
        long size = 0;
        for (Map.Entry<String, Value> e : item.entrySet()) {
            size += Value.utf8Length(e.getKey()) + e.getValue().size();
        }
        return size;
    }

    /** Levels of a value: 1 for a scalar or set, 2 for a list of scalars, and so on. */
    static int levels(Value v) {
        return 1 + depth(v);
    }

    private static int depth(Value v) {
        int deepest = 0;
        if (v instanceof Value.L l) {
            for (Value e : l.values()) {
                deepest = Math.max(deepest, depth(e));
            }
            return deepest + 1;
        }
        if (v instanceof Value.M m) {
            for (Value e : m.values().values()) {
                deepest = Math.max(deepest, depth(e));
            }
            return deepest + 1;
        }
        return 0;
    }
}
