package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** DynamoDB's JSON form of attribute values ({"S": "x"}, {"N": "1"}, {"B": base64}, ...) to values and back. */
final class Codec {
    static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private Codec() {
    }

    /** A map of attribute values (an item, a key, ExpressionAttributeValues); null when absent. */
    static Map<String, Value> item(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw DynamoDbException.serialization("Start of structure or map found where not expected");
        }
        Map<String, Value> item = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            unicode(f.getKey());
            Value v = value(f.getValue());
            if (Items.levels(v) > Items.MAX_LEVELS) {
                throw tooDeep();
            }
            item.put(f.getKey(), v);
        }
        return item;
    }

    static Value value(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw DynamoDbException.serialization("Unexpected value type in payload");
        }
        if (node.size() == 0) {
            throw DynamoDbException.validation(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        }
        if (node.size() > 1) {
            throw DynamoDbException.validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
        }
        Map.Entry<String, JsonNode> only = node.fields().next();
        JsonNode v = only.getValue();
        switch (only.getKey()) {
            case "S":
                return new Value.S(text(v));
            case "N":
                return new Value.N(Numbers.parse(text(v)));
            case "B":
                return new Value.B(bytes(v));
            case "BOOL":
                if (!v.isBoolean()) {
                    throw DynamoDbException.serialization("Unexpected value type in payload");
                }
                return new Value.Bool(v.booleanValue());
            case "NULL":
                if (!v.isBoolean()) {
                    throw DynamoDbException.serialization("Unexpected value type in payload");
                }
                if (!v.booleanValue()) {
                    throw DynamoDbException.invalidParameter("Null attribute value types must have the value of true");
                }
                return new Value.Null();
            case "L": {
                List<Value> values = new ArrayList<>();
                for (JsonNode e : array(v)) {
                    values.add(value(e));
                }
                return new Value.L(values);
            }
            case "M": {
                if (!v.isObject()) {
                    throw DynamoDbException.serialization("Unexpected value type in payload");
                }
                Map<String, Value> values = new LinkedHashMap<>();
                v.fields().forEachRemaining(e -> values.put(unicode(e.getKey()), value(e.getValue())));
                return new Value.M(values);
            }
            case "SS": {
                List<String> values = new ArrayList<>();
                for (JsonNode e : array(v)) {
                    values.add(text(e));
                }
                return new Value.SS(distinct(values, "string"));
            }
            case "NS": {
                List<BigDecimal> values = new ArrayList<>();
                for (JsonNode e : array(v)) {
                    values.add(Numbers.parse(text(e)));
                }
                return new Value.NS(distinct(values, "number"));
            }
            case "BS": {
                List<Value.Bytes> values = new ArrayList<>();
                for (JsonNode e : array(v)) {
                    values.add(bytes(e));
                }
                return new Value.BS(distinct(values, "binary"));
            }
            default:
                throw DynamoDbException.serialization("Unknown AttributeValue type: " + only.getKey());
        }
    }

    static DynamoDbException tooDeep() {
        return DynamoDbException.validation("Nesting Levels have exceeded supported limits: Attributes in the item have "
                + "nested levels beyond supported limit");
    }

    private static <T> Set<T> distinct(List<T> values, String kind) {
        if (values.isEmpty()) {
            throw DynamoDbException.invalidParameter(kind.equals("binary") ? "Binary sets should not be empty"
                    : "An " + kind + " set  may not be empty");
        }
        Set<T> set = new LinkedHashSet<>(values);
        if (set.size() != values.size()) {
            throw DynamoDbException.invalidParameter("Input collection " + values + " contains duplicates.");
        }
        return set;
    }

    private static String text(JsonNode v) {
        if (!v.isTextual()) {
            throw DynamoDbException.serialization("Unexpected value type in payload");
        }
        return unicode(v.textValue());
    }

    /**
     * Refuses a string holding an unpaired UTF-16 surrogate (a JSON escape like \ud800 alone): it has no UTF-8
     * form, so it could be neither stored nor returned as it was sent.
     */
    static String unicode(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw DynamoDbException.invalidParameter("A string holds an unpaired UTF-16 surrogate at index " + i
                        + ": it is not valid Unicode");
            }
        }
        return s;
    }

    private static Value.Bytes bytes(JsonNode v) {
        try {
            return new Value.Bytes(Base64.getDecoder().decode(text(v)));
        } catch (IllegalArgumentException e) {
            throw DynamoDbException.serialization("Base64 encoded length is expected a multiple of 4 bytes");
        }
    }

    private static ArrayNode array(JsonNode v) {
        if (!v.isArray()) {
            throw DynamoDbException.serialization("Unexpected value type in payload");
        }
        return (ArrayNode) v;
    }

    static ObjectNode json(Map<String, Value> item) {
        ObjectNode o = JSON.objectNode();
        item.forEach((k, v) -> o.set(k, json(v)));
        return o;
    }

    static ObjectNode json(Value value) {
        ObjectNode o = JSON.objectNode();
        if (value instanceof Value.S s) {
            o.put("S", s.value());
        } else if (value instanceof Value.N n) {
            o.put("N", Numbers.format(n.value()));
        } else if (value instanceof Value.B b) {
            o.put("B", b.value().toString());
        } else if (value instanceof Value.Bool b) {
            o.put("BOOL", b.value());
        } else if (value instanceof Value.Null) {
            o.put("NULL", true);
        } else if (value instanceof Value.L l) {
            ArrayNode a = o.putArray("L");
            l.values().forEach(e -> a.add(json(e)));
        } else if (value instanceof Value.M m) {
            o.set("M", json(m.values()));
        } else if (value instanceof Value.SS ss) {
            ArrayNode a = o.putArray("SS");
            ss.values().forEach(a::add);
        } else if (value instanceof Value.NS ns) {
            ArrayNode a = o.putArray("NS");
            ns.values().forEach(n -> a.add(Numbers.format(n)));
        } else if (value instanceof Value.BS bs) {
            ArrayNode a = o.putArray("BS");
            bs.values().forEach(b -> a.add(b.toString()));
        }
        return o;
    }
}
