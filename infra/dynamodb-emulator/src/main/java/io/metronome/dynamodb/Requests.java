package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Reading a request's members with DynamoDB's errors for missing, mistyped and out-of-range ones. */
final class Requests {
    private static final Pattern TABLE_NAME = Pattern.compile("[a-zA-Z0-9_.-]+");

    private Requests() {
    }

    static String string(JsonNode request, String member) {
        JsonNode v = request.get(member);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw DynamoDbException.serialization(v.getNodeType() + "_VALUE cannot be converted to String");
        }
        return v.textValue();
    }

    static String requiredString(JsonNode request, String member) {
        String v = string(request, member);
        if (v == null) {
            throw constraint("null", member, "Member must not be null");
        }
        return v;
    }

    static String tableName(JsonNode request) {
        String name = requiredString(request, "TableName");
        checkTableName(name, "tableName", 1);
        return name;
    }

    static void checkTableName(String name, String member, int minLength) {
        if (name.length() < minLength || name.length() > 255) {
            throw constraint("'" + name + "'", member, name.length() > 255
                    ? "Member must have length less than or equal to 255"
                    : "Member must have length greater than or equal to " + minLength);
        }
        if (!TABLE_NAME.matcher(name).matches()) {
            throw constraint("'" + name + "'", member, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
        }
    }

    /** One of the allowed values, or the default when absent. */
    static String choice(JsonNode request, String member, List<String> allowed, String otherwise) {
        String v = string(request, member);
        if (v == null) {
            return otherwise;
        }
        if (!allowed.contains(v)) {
            throw constraint("'" + v + "'", member, "Member must satisfy enum value set: " + allowed);
        }
        return v;
    }

    static boolean bool(JsonNode request, String member) {
        JsonNode v = request.get(member);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw DynamoDbException.serialization(v.getNodeType() + "_VALUE cannot be converted to Boolean");
        }
        return v.booleanValue();
    }

    /** An integer in [min, max], or null when absent. */
    static Integer integer(JsonNode request, String member, long min, long max) {
        JsonNode v = request.get(member);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw DynamoDbException.serialization(v.getNodeType() + "_VALUE cannot be converted to Integer");
        }
        long n = v.longValue();
        if (n < min) {
            throw constraint("'" + n + "'", member, "Member must have value greater than or equal to " + min);
        }
        if (n > max) {
            throw constraint("'" + n + "'", member, "Member must have value less than or equal to " + max);
        }
        return (int) n;
    }

    static Map<String, Value> item(JsonNode request, String member) {
        return Codec.item(request.get(member));
    }

    static Map<String, String> names(JsonNode request) {
        JsonNode v = request.get("ExpressionAttributeNames");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw DynamoDbException.serialization("Start of list found where not expected");
        }
        Map<String, String> names = new LinkedHashMap<>();
        v.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw DynamoDbException.serialization("Unexpected value type in payload");
            }
            if (!e.getKey().matches("#[0-9a-zA-Z_]+")) {
                throw DynamoDbException.validation("ExpressionAttributeNames contains invalid key: Syntax error; key: \""
                        + e.getKey() + "\"");
            }
            names.put(e.getKey(), Codec.unicode(e.getValue().textValue()));
        });
        return names;
    }

    static Map<String, Value> values(JsonNode request) {
        Map<String, Value> values = Codec.item(request.get("ExpressionAttributeValues"));
        if (values != null) {
            for (String k : values.keySet()) {
                if (!k.matches(":[0-9a-zA-Z_]+")) {
                    throw DynamoDbException.validation("ExpressionAttributeValues contains invalid key: Syntax error; key: \""
                            + k + "\"");
                }
            }
        }
        return values;
    }

    /** A request's placeholders, refused when given to a request that has no expression to use them. */
    static Placeholders placeholders(JsonNode request, String... expressionMembers) {
        Placeholders p = new Placeholders(names(request), values(request));
        boolean anyExpression = false;
        for (String m : expressionMembers) {
            anyExpression |= string(request, m) != null;
        }
        if (!anyExpression) {
            if (request.hasNonNull("ExpressionAttributeNames")) {
                throw DynamoDbException.validation("ExpressionAttributeNames can only be specified when using expressions");
            }
            if (request.hasNonNull("ExpressionAttributeValues")) {
                throw DynamoDbException.validation("ExpressionAttributeValues can only be specified when using expressions");
            }
        }
        return p;
    }

    /**
     * The legacy (pre-expression) parameters are not implemented: a request using one is refused by name, never
     * half-understood.
     */
    static void refuseLegacy(JsonNode request, String... members) {
        for (String m : members) {
            if (request.hasNonNull(m)) {
                throw DynamoDbException.validation("The legacy parameter " + m + " is not supported by this emulator; "
                        + "use the expression parameters instead");
            }
        }
    }

    static DynamoDbException constraint(String value, String member, String rule) {
        String field = Character.toLowerCase(member.charAt(0)) + member.substring(1);
        return DynamoDbException.validation("1 validation error detected: Value " + value + " at '" + field
                + "' failed to satisfy constraint: " + rule);
    }
}
