package io.metronome.dynamodb;

/**
 * A key value of a table or index: the partition value and the sort value (null when the schema has none).
 * Ordered by partition value, then sort value, as DynamoDB orders keys of one type.
 */
record PrimaryKey(Value hash, Value range) implements Comparable<PrimaryKey> {
    /** A bound above every value (compared by identity): ranges of keys end here. A null value is below every value. */
    static final Value ABOVE_ALL = new Value.Null();
    static final PrimaryKey LOWEST = new PrimaryKey(null, null);
    static final PrimaryKey HIGHEST = new PrimaryKey(ABOVE_ALL, ABOVE_ALL);

    @Override
    public int compareTo(PrimaryKey o) {
        int c = compareValues(hash, o.hash);
        return c != 0 ? c : compareValues(range, o.range);
    }

    static int compareValues(Value a, Value b) {
        if (a == ABOVE_ALL || b == ABOVE_ALL) {
            return a == b ? 0 : a == ABOVE_ALL ? 1 : -1;
        }
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        Integer c = Value.compare(a, b);
        if (c == null) {
            // Different types cannot share a key attribute; order by type so a map of keys stays total.
            return a.type().compareTo(b.type());
        }
        return c;
    }
}
