package io.metronome.dynamodb;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * A global or local secondary index: its entries are the projections of the table's items that have its key
 * attributes (an item without them is not in the index: a sparse index), ordered by index key, then table key.
 */
final class Index {
    /** An entry's position: its index key, then its item's table key (index keys need not be unique). */
    record EntryKey(PrimaryKey indexKey, PrimaryKey tableKey) implements Comparable<EntryKey> {
        @Override
        public int compareTo(EntryKey o) {
            int c = indexKey.compareTo(o.indexKey);
            return c != 0 ? c : tableKey.compareTo(o.tableKey);
        }
    }

    final String name;
    final boolean global;
    final KeySchema key;
    final String projectionType;
    final Set<String> nonKeyAttributes;
    final NavigableMap<EntryKey, Map<String, Value>> entries = new TreeMap<>();
    private final KeySchema tableKey;

    Index(String name, boolean global, KeySchema key, String projectionType, Set<String> nonKeyAttributes,
          KeySchema tableKey) {
        this.name = name;
        this.global = global;
        this.key = key;
        this.projectionType = projectionType;
        this.nonKeyAttributes = nonKeyAttributes;
        this.tableKey = tableKey;
    }

    /** The entry an item has in this index, or null when it lacks the index's key attributes. */
    Map<String, Value> project(Map<String, Value> item) {
        if (item == null || key.keyOf(item) == null) {
            return null;
        }
        if (projectionType.equals("ALL")) {
            return item;
        }
        Map<String, Value> entry = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : item.entrySet()) {
            String n = e.getKey();
            if (tableKey.names().contains(n) || key.names().contains(n)
                    || (projectionType.equals("INCLUDE") && nonKeyAttributes.contains(n))) {
                entry.put(n, e.getValue());
            }
        }
        return entry;
    }

    EntryKey entryKey(Map<String, Value> entry) {
        return new EntryKey(key.keyOf(entry), tableKey.keyOf(entry));
    }

    /** Moves an item's entry from its old projection to its new one. */
    void replace(Map<String, Value> oldEntry, Map<String, Value> newEntry) {
        if (oldEntry != null) {
            entries.remove(entryKey(oldEntry));
        }
        if (newEntry != null) {
            entries.put(entryKey(newEntry), newEntry);
        }
    }

    /** True when every attribute a query may ask for is in this index's entries. */
    boolean projectsAll() {
        return projectionType.equals("ALL");
    }
}
