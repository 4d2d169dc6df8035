package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** A CreateTable request checked by DynamoDB's rules and turned into an empty table. */
final class TableDefinition {
    static final int MAX_GSIS = 20;
    static final int MAX_LSIS = 5;
    static final int MAX_PROJECTED_ATTRIBUTES = 100;

    private TableDefinition() {
    }

    static Table build(ObjectNode request, double creationTime, String tableId) {
        String name = Requests.requiredString(request, "TableName");
        Requests.checkTableName(name, "tableName", 3);
        Map<String, String> types = attributeTypes(request);
        String billing = Requests.choice(request, "BillingMode", List.of("PROVISIONED", "PAY_PER_REQUEST"), "PROVISIONED");
        checkThroughput(request, billing, "");
        KeySchema key = keySchema(request.get("KeySchema"), types, "KeySchema");
        Set<String> used = new LinkedHashSet<>(key.names());
        Table table = new Table(name, key, types, request.deepCopy(), creationTime, tableId);

        List<JsonNode> gsis = list(request, "GlobalSecondaryIndexes");
        List<JsonNode> lsis = list(request, "LocalSecondaryIndexes");
        if (gsis.size() > MAX_GSIS) {
            throw DynamoDbException.invalidParameter("GlobalSecondaryIndex count exceeds the per-table limit of " + MAX_GSIS);
        }
        if (lsis.size() > MAX_LSIS) {
            throw DynamoDbException.invalidParameter("Number of LocalSecondaryIndexes exceeds per-table limit of " + MAX_LSIS);
        }
        int projected = 0;
        for (JsonNode g : gsis) {
            checkIndexThroughput(g, billing);
            projected += addIndex(table, g, true, types, used);
        }
        for (JsonNode l : lsis) {
            projected += addIndex(table, l, false, types, used);
        }
        if (projected > MAX_PROJECTED_ATTRIBUTES) {
            throw DynamoDbException.invalidParameter("The number of attributes in key schema and projection across all "
                    + "indexes exceeds the limit of " + MAX_PROJECTED_ATTRIBUTES);
        }
        if (!used.containsAll(types.keySet())) {
            throw DynamoDbException.invalidParameter(table.indexes.isEmpty()
                    ? "Number of attributes in KeySchema does not exactly match number of attributes defined in "
                    + "AttributeDefinitions"
                    : "Some AttributeDefinitions are not used. AttributeDefinitions: " + new TreeSet<>(types.keySet())
                    + ", keys used: " + new TreeSet<>(used));
        }
        return table;
    }

    /** A StreamSpecification: whether to enable a stream, and its view type when enabling. */
    record StreamSpecification(boolean enabled, String viewType) {
    }

    /**
     * A request's StreamSpecification, checked by DynamoDB's rules (a view type exactly when enabling), or null
     * when it has none. CreateTable and UpdateTable word the rule differently, as DynamoDB does.
     */
    static StreamSpecification streamSpecification(JsonNode request, boolean creating) {
        JsonNode spec = request.get("StreamSpecification");
        if (spec == null || spec.isNull()) {
            return null;
        }
        if (!spec.isObject()) {
            throw DynamoDbException.serialization("Start of list found where not expected");
        }
        JsonNode enabledNode = spec.get("StreamEnabled");
        if (enabledNode == null || enabledNode.isNull()) {
            throw Requests.constraint("null", "streamSpecification.streamEnabled", "Member must not be null");
        }
        if (!enabledNode.isBoolean()) {
            throw DynamoDbException.serialization(enabledNode.getNodeType() + "_VALUE cannot be converted to Boolean");
        }
        boolean enabled = enabledNode.booleanValue();
        String viewType = Requests.string(spec, "StreamViewType");
        if (viewType != null && !Stream.VIEW_TYPES.contains(viewType)) {
            throw Requests.constraint("'" + viewType + "'", "streamSpecification.streamViewType",
                    "Member must satisfy enum value set: " + Stream.VIEW_TYPES);
        }
        if (enabled && viewType == null) {
            throw DynamoDbException.invalidParameter(creating
                    ? "Table is being created with a stream enabled, UpdateViewType is required"
                    : "If stream is being enabled then UpdateViewType is required");
        }
        if (!enabled && viewType != null) {
            throw DynamoDbException.invalidParameter(creating
                    ? "Table is being created with a stream disabled, UpdateViewType should not be specified"
                    : "If stream is being disabled, then UpdateViewType must not be specified");
        }
        return new StreamSpecification(enabled, viewType);
    }

    private static Map<String, String> attributeTypes(JsonNode request) {
        Map<String, String> types = new LinkedHashMap<>();
        for (JsonNode d : list(request, "AttributeDefinitions")) {
            String n = Requests.requiredString(d, "AttributeName");
            String t = Requests.choice(d, "AttributeType", List.of("S", "N", "B"), null);
            if (t == null) {
                throw Requests.constraint("null", "attributeDefinitions.member.attributeType", "Member must not be null");
            }
            if (types.put(n, t) != null) {
                throw DynamoDbException.invalidParameter("Cannot have two attributes with the same name");
            }
        }
        if (types.isEmpty()) {
            throw Requests.constraint("null", "attributeDefinitions", "Member must not be null");
        }
        return types;
    }

    private static KeySchema keySchema(JsonNode schema, Map<String, String> types, String where) {
        if (schema == null || !schema.isArray() || schema.isEmpty() || schema.size() > 2) {
            throw Requests.constraint(schema == null ? "null" : "'" + schema + "'", where.equals("KeySchema")
                    ? "keySchema" : where, "Member must have length less than or equal to 2");
        }
        String hash = null;
        String range = null;
        for (JsonNode e : schema) {
            String n = Requests.requiredString(e, "AttributeName");
            String kind = Requests.choice(e, "KeyType", List.of("HASH", "RANGE"), null);
            if ("HASH".equals(kind) && hash == null && range == null) {
                hash = n;
            } else if ("RANGE".equals(kind) && hash != null && range == null && !n.equals(hash)) {
                range = n;
            } else {
                throw DynamoDbException.invalidParameter("Invalid KeySchema: The first KeySchemaElement is not a HASH key "
                        + "type, or a key is given twice");
            }
        }
        List<String> keys = range == null ? List.of(hash) : List.of(hash, range);
        if (keys.size() > types.size()) {
            throw DynamoDbException.validation("Invalid KeySchema: Some index key attribute have no definition");
        }
        for (String n : keys) {
            if (!types.containsKey(n)) {
                throw DynamoDbException.invalidParameter("Some index key attributes are not defined in "
                        + "AttributeDefinitions. Keys: " + keys + ", AttributeDefinitions: " + new TreeSet<>(types.keySet()));
            }
            if (Value.utf8Length(n) > 255) {
                throw DynamoDbException.invalidParameter("Key attribute names must be at most 255 bytes long: " + n);
            }
        }
        return new KeySchema(hash, types.get(hash), range, range == null ? null : types.get(range));
    }

    private static int addIndex(Table table, JsonNode spec, boolean global, Map<String, String> types, Set<String> used) {
        String name = Requests.requiredString(spec, "IndexName");
        Requests.checkTableName(name, "indexName", 3);
        if (table.indexes.containsKey(name)) {
            throw DynamoDbException.invalidParameter("Duplicate index name: " + name);
        }
        KeySchema key = keySchema(spec.get("KeySchema"), types, "KeySchema");
        if (!global) {
            if (!table.key.hasRange()) {
                throw DynamoDbException.invalidParameter("Table KeySchema does not have a range key, which is required "
                        + "when specifying a LocalSecondaryIndex");
            }
            if (!key.hasRange()) {
                throw DynamoDbException.invalidParameter("Index KeySchema does not have a range key for index: " + name);
            }
            if (!key.hashName().equals(table.key.hashName())) {
                throw DynamoDbException.invalidParameter("Index KeySchema does not have the same leading hash key as "
                        + "table KeySchema for index: " + name + ". index hash key: " + key.hashName()
                        + ", table hash key: " + table.key.hashName());
            }
        }
        used.addAll(key.names());
        JsonNode projection = spec.get("Projection");
        if (projection == null || !projection.isObject()) {
            throw Requests.constraint("null", "projection", "Member must not be null");
        }
        String type = Requests.choice(projection, "ProjectionType", List.of("ALL", "KEYS_ONLY", "INCLUDE"), null);
        if (type == null) {
            throw DynamoDbException.invalidParameter("Unknown ProjectionType: null");
        }
        Set<String> nonKey = new LinkedHashSet<>();
        for (JsonNode a : list(projection, "NonKeyAttributes")) {
            nonKey.add(a.asText());
        }
        if (type.equals("INCLUDE") == nonKey.isEmpty()) {
            throw DynamoDbException.invalidParameter(type.equals("INCLUDE")
                    ? "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"
                    : "ProjectionType is " + type + ", but NonKeyAttributes is specified");
        }
        table.indexes.put(name, new Index(name, global, key, type, nonKey, table.key));
        return nonKey.size();
    }

    private static void checkThroughput(JsonNode spec, String billing, String where) {
        JsonNode t = spec.get("ProvisionedThroughput");
        if (billing.equals("PAY_PER_REQUEST")) {
            if (t != null && !t.isNull()) {
                throw DynamoDbException.invalidParameter("Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                        + "specified when BillingMode is PAY_PER_REQUEST");
            }
            return;
        }
        if (t == null || t.isNull()) {
            throw DynamoDbException.invalidParameter("ReadCapacityUnits and WriteCapacityUnits must both be specified "
                    + "when BillingMode is PROVISIONED" + where);
        }
        Requests.integer(t, "ReadCapacityUnits", 1, Long.MAX_VALUE);
        Requests.integer(t, "WriteCapacityUnits", 1, Long.MAX_VALUE);
    }

    private static void checkIndexThroughput(JsonNode spec, String billing) {
        boolean given = spec.hasNonNull("ProvisionedThroughput");
        String index = spec.path("IndexName").asText();
        if (billing.equals("PAY_PER_REQUEST") && given) {
            throw DynamoDbException.invalidParameter("ProvisionedThroughput should not be specified for index: " + index
                    + " when BillingMode is PAY_PER_REQUEST");
        }
        if (billing.equals("PROVISIONED")) {
            if (!given) {
                throw DynamoDbException.invalidParameter("ProvisionedThroughput is not specified for index: " + index);
            }
            checkThroughput(spec, billing, "");
        }
    }

    private static List<JsonNode> list(JsonNode request, String member) {
        JsonNode v = request.get(member);
        List<JsonNode> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw DynamoDbException.serialization("Start of structure or map found where not expected");
        }
        v.forEach(out::add);
        return out;
    }
}
