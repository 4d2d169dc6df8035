package io.metronome.dynamodb;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** A condition, filter or key condition, tested against one item. */
sealed interface Condition {

    boolean test(Map<String, Value> item);

    enum Comparator {
        EQ("="), NE("<>"), LT("<"), LE("<="), GT(">"), GE(">=");

        final String symbol;

        Comparator(String symbol) {
            this.symbol = symbol;
        }
    }

    /**
     * a = b holds for equal values of one type; a <> b is its negation (so it holds when either side is missing);
     * the orderings hold only for two numbers, two strings or two binaries.
     */
    record Compare(Operand left, Comparator op, Operand right) implements Condition {
        public boolean test(Map<String, Value> item) {
            Value a = left.eval(item);
            Value b = right.eval(item);
            switch (op) {
                case EQ:
                    return a != null && a.equals(b);
                case NE:
                    return a == null || !a.equals(b);
                default:
                    Integer c = a == null || b == null ? null : Value.compare(a, b);
                    if (c == null) {
                        return false;
                    }
                    switch (op) {
                        case LT: return c < 0;
                        case LE: return c <= 0;
                        case GT: return c > 0;
                        default: return c >= 0;
                    }
            }
        }
    }

    record Between(Operand operand, Operand low, Operand high) implements Condition {
        public boolean test(Map<String, Value> item) {
            Value v = operand.eval(item);
            Value lo = low.eval(item);
            Value hi = high.eval(item);
            if (v == null || lo == null || hi == null) {
                return false;
            }
            Integer a = Value.compare(v, lo);
            Integer b = Value.compare(v, hi);
            return a != null && b != null && a >= 0 && b <= 0;
        }
    }

    record In(Operand operand, List<Operand> candidates) implements Condition {
        public boolean test(Map<String, Value> item) {
            Value v = operand.eval(item);
            return v != null && candidates.stream().anyMatch(c -> v.equals(c.eval(item)));
        }
    }

    record And(Condition left, Condition right) implements Condition {
        public boolean test(Map<String, Value> item) {
            return left.test(item) && right.test(item);
        }
    }

    record Or(Condition left, Condition right) implements Condition {
        public boolean test(Map<String, Value> item) {
            return left.test(item) || right.test(item);
        }
    }

    record Not(Condition condition) implements Condition {
        public boolean test(Map<String, Value> item) {
            return !condition.test(item);
        }
    }

    record Exists(Path path, boolean exists) implements Condition {
        public boolean test(Map<String, Value> item) {
            return (path.get(item) != null) == exists;
        }
    }

    record AttributeType(Path path, String type) implements Condition {
        public boolean test(Map<String, Value> item) {
            Value v = path.get(item);
            return v != null && v.type().equals(type);
        }
    }

    record BeginsWith(Operand operand, Operand prefix) implements Condition {
        public boolean test(Map<String, Value> item) {
            Value v = operand.eval(item);
            Value p = prefix.eval(item);
            if (v instanceof Value.S s && p instanceof Value.S ps) {
                return s.value().startsWith(ps.value());
            }
            if (v instanceof Value.B b && p instanceof Value.B pb) {
                return b.value().startsWith(pb.value());
            }
            return false;
        }
    }

    /** A substring of a string, a member of a set of the element's type, or an element of a list. */
    record Contains(Operand operand, Operand element) implements Condition {
        public boolean test(Map<String, Value> item) {
            Value v = operand.eval(item);
            Value e = element.eval(item);
            if (v == null || e == null) {
                return false;
            }
            if (v instanceof Value.S s && e instanceof Value.S es) {
                return s.value().contains(es.value());
            }
            if (v instanceof Value.SS s && e instanceof Value.S es) {
                return s.values().contains(es.value());
            }
            if (v instanceof Value.NS s && e instanceof Value.N en) {
                return s.values().contains(en.value());
            }
            if (v instanceof Value.BS s && e instanceof Value.B eb) {
                return s.values().contains(eb.value());
            }
            if (v instanceof Value.L l) {
                return l.values().stream().anyMatch(x -> Objects.equals(x, e));
            }
            return false;
        }
    }
}
