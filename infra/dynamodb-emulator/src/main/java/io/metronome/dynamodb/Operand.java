package io.metronome.dynamodb;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Something an expression reads: a document path, a :value, or a function of them. */
sealed interface Operand {

    /** The operand's value against an item, or null when it has none (a missing attribute, size of a number). */
    Value eval(Map<String, Value> item);

    record PathRef(Path path) implements Operand {
        public Value eval(Map<String, Value> item) {
            return path.get(item);
        }
    }

    record Literal(String name, Value value) implements Operand {
        public Value eval(Map<String, Value> item) {
            return value;
        }
    }

    /**
     * size(path): a string's length in UTF-16 code units (as DynamoDB counts it, not bytes), a binary's in bytes, a
     * set's, list's or map's number of elements; no value for other types.
     */
    record Size(Path path) implements Operand {
        public Value eval(Map<String, Value> item) {
            Value v = path.get(item);
            long n;
            if (v instanceof Value.S s) {
                n = s.value().length();
            } else if (v instanceof Value.B b) {
                n = b.value().length();
            } else if (v instanceof Value.SS s) {
                n = s.values().size();
            } else if (v instanceof Value.NS s) {
                n = s.values().size();
            } else if (v instanceof Value.BS s) {
                n = s.values().size();
            } else if (v instanceof Value.L l) {
                n = l.values().size();
            } else if (v instanceof Value.M m) {
                n = m.values().size();
            } else {
                return null;
            }
            return new Value.N(BigDecimal.valueOf(n));
        }
    }

    // Update expressions only: these read the item as it was before the update, and fail instead of being empty.

    record IfNotExists(Path path, Operand otherwise) implements Operand {
        public Value eval(Map<String, Value> item) {
            Value v = path.get(item);
            return v != null ? v : Operand.required(otherwise, item);
        }
    }

    record ListAppend(Operand first, Operand second) implements Operand {
        public Value eval(Map<String, Value> item) {
            Value a = Operand.required(first, item);
            Value b = Operand.required(second, item);
            if (!(a instanceof Value.L la) || !(b instanceof Value.L lb)) {
                throw Operand.incorrectType();
            }
            List<Value> values = new ArrayList<>(la.values());
            values.addAll(lb.values());
            return new Value.L(values);
        }
    }

    record Arithmetic(Operand left, boolean plus, Operand right) implements Operand {
        public Value eval(Map<String, Value> item) {
            Value a = Operand.required(left, item);
            Value b = Operand.required(right, item);
            if (!(a instanceof Value.N na) || !(b instanceof Value.N nb)) {
                throw Operand.incorrectType();
            }
            return new Value.N(Numbers.check(plus ? na.value().add(nb.value()) : na.value().subtract(nb.value())));
        }
    }

    /** An update's operand must have a value: a path to nothing is DynamoDB's error, not an empty value. */
    static Value required(Operand operand, Map<String, Value> item) {
        Value v = operand.eval(item);
        if (v == null) {
            throw DynamoDbException.validation(
                    "The provided expression refers to an attribute that does not exist in the item");
        }
        return v;
    }

    static DynamoDbException incorrectType() {
        return DynamoDbException.validation("An operand in the update expression has an incorrect data type");
    }
}
