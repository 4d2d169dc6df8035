package io.metronome.expr;

import com.dashjoin.jsonata.Jsonata;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * An evaluation's result as JSON, built under the size budget: a result may share one value many times (an array
 * of a thousand references to one large array is small in memory), and the copy must not be what exhausts the
 * heap. Counts every value it creates and every character it copies, and stops at the first limit.
 */
final class Results {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Budget budget;
    private long values;
    private long chars;

    private Results(Budget budget) {
        this.budget = budget;
    }

    static JsonNode toJson(Object result, Budget budget) {
        return new Results(budget).convert(result, 0);
    }

    private JsonNode convert(Object v, int depth) {
        if (depth > Budget.MAX_RESULT_DEPTH) {
            throw budget.exceeded("exceeded its size budget: its result nests deeper than " + Budget.MAX_RESULT_DEPTH
                    + " levels");
        }
        if (++values > Budget.MAX_ITEMS) {
            throw budget.tooLarge("a result of more than " + Budget.MAX_ITEMS + " values", Budget.MAX_ITEMS + " values");
        }
        if (v == null || v == Jsonata.NULL_VALUE) {
            return NullNode.getInstance();
        }
        if (v instanceof CharSequence s) {
            count(s.length());
            return NODES.textNode(s.toString());
        }
        if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (v instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (v instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (v instanceof Double d) {
            return NODES.numberNode(d);
        }
        if (v instanceof BigDecimal d) {
            return NODES.numberNode(d);
        }
        if (v instanceof BigInteger i) {
            return NODES.numberNode(i);
        }
        if (v instanceof Number n) {
            return NODES.numberNode(n.doubleValue());
        }
        if (v instanceof List<?> list) {
            ArrayNode out = NODES.arrayNode();
            for (Object item : list) {
                out.add(convert(item, depth + 1));
            }
            return out;
        }
        if (v instanceof Map<?, ?> map) {
            ObjectNode out = NODES.objectNode();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                count(key.length());
                out.set(key, convert(e.getValue(), depth + 1));
            }
            return out;
        }
        // Anything else (a function, a regular expression) is a leaf; Jackson renders it as it always did.
        return Json.MAPPER.valueToTree(v);
    }

    private void count(int length) {
        chars += length;
        if (chars > Budget.MAX_STRING_CHARS) {
            throw budget.tooLarge("a result of more than " + Budget.MAX_STRING_CHARS + " characters",
                    Budget.MAX_STRING_CHARS + " characters");
        }
    }
}
