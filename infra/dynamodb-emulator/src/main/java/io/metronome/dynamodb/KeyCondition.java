package io.metronome.dynamodb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * A Query's KeyConditionExpression, checked against the key schema: the partition key equal to a value, and at
 * most one condition on the sort key (=, <, <=, >, >=, BETWEEN, begins_with). Turned into a range of keys.
 */
record KeyCondition(Value hash, Condition.Comparator op, Value low, Value high, boolean prefix) {

    static KeyCondition of(Condition condition, KeySchema schema) {
        List<Condition> parts = new ArrayList<>();
        flatten(condition, parts);
        if (parts.size() > 2) {
            throw DynamoDbException.validation("KeyConditionExpressions must only contain one condition per key");
        }
        boolean namesHash = false;
        for (Condition part : parts) {
            for (Path path : Conditions.paths(part)) {
                namesHash |= path.length() == 1 && path.top().equals(schema.hashName());
            }
        }
        if (!namesHash) {
            throw DynamoDbException.validation("Query condition missed key schema element: " + schema.hashName());
        }
        Value hash = null;
        Condition.Comparator op = null;
        Value low = null;
        Value high = null;
        boolean prefix = false;
        boolean ranged = false;
        for (Condition part : parts) {
            String name;
            if (part instanceof Condition.Compare c && c.left() instanceof Operand.PathRef p
                    && c.right() instanceof Operand.Literal v) {
                if (c.op() == Condition.Comparator.NE) {
                    throw invalidOperator("<>");
                }
                name = keyName(p.path());
                if (name.equals(schema.hashName())) {
                    if (c.op() != Condition.Comparator.EQ) {
                        throw DynamoDbException.validation("Query key condition not supported");
                    }
                    if (hash != null) {
                        throw DynamoDbException.validation("KeyConditionExpressions must only contain one condition per key");
                    }
                    hash = typed(v.value(), schema.hashType());
                    continue;
                }
                op = c.op();
                low = typed(v.value(), rangeType(name, schema));
                high = low;
            } else if (part instanceof Condition.Between b && b.operand() instanceof Operand.PathRef p
                    && b.low() instanceof Operand.Literal lo && b.high() instanceof Operand.Literal hi) {
                name = keyName(p.path());
                if (name.equals(schema.hashName())) {
                    throw DynamoDbException.validation("Query key condition not supported");
                }
                String type = rangeType(name, schema);
                low = typed(lo.value(), type);
                high = typed(hi.value(), type);
                op = null;
            } else if (part instanceof Condition.BeginsWith b && b.operand() instanceof Operand.PathRef p
                    && b.prefix() instanceof Operand.Literal v) {
                name = keyName(p.path());
                if (name.equals(schema.hashName())) {
                    throw DynamoDbException.validation("Query key condition not supported");
                }
                String type = rangeType(name, schema);
                if (type.equals("N")) {
                    throw DynamoDbException.validation("Invalid KeyConditionExpression: Incorrect operand type for "
                            + "operator or function; operator or function: begins_with, operand type: N");
                }
                low = typed(v.value(), type);
                prefix = true;
            } else {
                throw invalidOperator(operatorName(part));
            }
            if (ranged) {
                throw DynamoDbException.validation("KeyConditionExpressions must only contain one condition per key");
            }
            ranged = true;
        }
        if (hash == null) {
            throw DynamoDbException.validation("Query condition missed key schema element: " + schema.hashName());
        }
        return new KeyCondition(hash, op, low, high, prefix);
    }

    private static void flatten(Condition c, List<Condition> out) {
        if (c instanceof Condition.And a) {
            flatten(a.left(), out);
            flatten(a.right(), out);
        } else {
            out.add(c);
        }
    }

    private static String keyName(Path p) {
        if (p.length() > 1) {
            throw DynamoDbException.validation("KeyConditionExpressions cannot have conditions on nested attributes");
        }
        return p.top();
    }

    private static String rangeType(String name, KeySchema schema) {
        if (!schema.hasRange()) {
            throw DynamoDbException.validation("Query key condition not supported");
        }
        if (!name.equals(schema.rangeName())) {
            throw DynamoDbException.validation("Query condition missed key schema element: " + schema.rangeName());
        }
        return schema.rangeType();
    }

    private static Value typed(Value v, String type) {
        if (!v.type().equals(type)) {
            throw DynamoDbException.invalidParameter("Condition parameter type does not match schema type");
        }
        return v;
    }

    private static String operatorName(Condition c) {
        if (c instanceof Condition.Or) {
            return "OR";
        }
        if (c instanceof Condition.Not) {
            return "NOT";
        }
        if (c instanceof Condition.In) {
            return "IN";
        }
        if (c instanceof Condition.Contains) {
            return "contains";
        }
        if (c instanceof Condition.Exists e) {
            return e.exists() ? "attribute_exists" : "attribute_not_exists";
        }
        if (c instanceof Condition.AttributeType) {
            return "attribute_type";
        }
        return "the given form";
    }

    private static DynamoDbException invalidOperator(String op) {
        return DynamoDbException.validation("Invalid operator used in KeyConditionExpression: " + op);
    }

    /** True when a key's partition value is the one the condition asks for. */
    boolean inPartition(Value h) {
        return hash.equals(h);
    }

    /** True when a key (partition value, sort value) satisfies the condition. */
    boolean contains(Value h, Value r) {
        if (!hash.equals(h)) {
            return false;
        }
        if (low == null) {
            return true;
        }
        if (prefix) {
            return new Condition.BeginsWith(new Operand.Literal("", r), new Operand.Literal("", low)).test(Map.of());
        }
        Integer lo = Value.compare(r, low);
        Integer hi = Value.compare(r, high);
        if (lo == null || hi == null) {
            return false;
        }
        if (op == null) {
            return lo >= 0 && hi <= 0;
        }
        return switch (op) {
            case EQ -> lo == 0;
            case LT -> lo < 0;
            case LE -> lo <= 0;
            case GT -> lo > 0;
            default -> lo >= 0;
        };
    }

    /** The sort-key bounds: [from, to] with inclusiveness; a null value is the partition's edge. */
    private record Bounds(Value from, boolean fromInclusive, Value to, boolean toInclusive) {
    }

    private Bounds bounds() {
        if (low == null) {
            return new Bounds(null, true, null, true);
        }
        if (prefix) {
            Value end = prefixEnd(low);
            return new Bounds(low, true, end, false);
        }
        if (op == null) {
            return new Bounds(low, true, high, true);
        }
        return switch (op) {
            case EQ -> new Bounds(low, true, low, true);
            case LT -> new Bounds(null, true, low, false);
            case LE -> new Bounds(null, true, low, true);
            case GT -> new Bounds(low, false, null, true);
            default -> new Bounds(low, true, null, true);
        };
    }

    NavigableMap<PrimaryKey, Map<String, Value>> tableRange(NavigableMap<PrimaryKey, Map<String, Value>> items) {
        Bounds b = bounds();
        PrimaryKey from = new PrimaryKey(hash, b.from);
        PrimaryKey to = new PrimaryKey(hash, b.to == null ? PrimaryKey.ABOVE_ALL : b.to);
        return items.subMap(from, b.fromInclusive, to, b.to == null || b.toInclusive);
    }

    NavigableMap<Index.EntryKey, Map<String, Value>> indexRange(NavigableMap<Index.EntryKey, Map<String, Value>> entries) {
        Bounds b = bounds();
        // Entries that share an index key differ by table key: bound them by the lowest or highest table key.
        Index.EntryKey from = new Index.EntryKey(new PrimaryKey(hash, b.from),
                b.fromInclusive ? PrimaryKey.LOWEST : PrimaryKey.HIGHEST);
        Index.EntryKey to = new Index.EntryKey(new PrimaryKey(hash, b.to == null ? PrimaryKey.ABOVE_ALL : b.to),
                b.to == null || b.toInclusive ? PrimaryKey.HIGHEST : PrimaryKey.LOWEST);
        return entries.subMap(from, true, to, true);
    }

    /** The smallest value above every value that starts with the prefix, or null when there is none. */
    private static Value prefixEnd(Value prefix) {
        if (prefix instanceof Value.S s) {
            int[] cps = s.value().codePoints().toArray();
            for (int i = cps.length - 1; i >= 0; i--) {
                if (cps[i] < Character.MAX_CODE_POINT) {
                    int next = cps[i] + 1;
                    if (next >= Character.MIN_SURROGATE && next <= Character.MAX_SURROGATE) {
                        next = Character.MAX_SURROGATE + 1;
                    }
                    return new Value.S(new String(cps, 0, i) + new String(Character.toChars(next)));
                }
            }
            return null;
        }
        byte[] bytes = ((Value.B) prefix).value().toArray();
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] != (byte) 0xFF) {
                byte[] end = java.util.Arrays.copyOf(bytes, i + 1);
                end[i]++;
                return new Value.B(new Value.Bytes(end));
            }
        }
        return null;
    }
}
