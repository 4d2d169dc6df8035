package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * CreateTable, DeleteTable, DescribeTable, ListTables, UpdateTable (its StreamSpecification), UpdateTimeToLive and
 * DescribeTimeToLive.
 */
final class TableOperations {
    private final Database db;

    TableOperations(Database db) {
        this.db = db;
    }

    /** Tables are usable at once; the response says CREATING, as DynamoDB's does, and DescribeTable says ACTIVE. */
    ObjectNode createTable(JsonNode request) {
        if (!request.isObject()) {
            throw DynamoDbException.serialization("Start of structure or map found where not expected");
        }
        Table table = TableDefinition.build((ObjectNode) request, db.clock.millis() / 1000.0, Table.newTableId());
        // Checked here, not in build: a journal's CreateTable is replayed with its stream as it was made.
        TableDefinition.StreamSpecification stream = TableDefinition.streamSpecification(request, true);
        return db.write(() -> {
            if (db.findTable(table.name) != null) {
                throw DynamoDbException.resourceInUse("Table already exists: " + table.name);
            }
            db.createTable(table, stream != null && stream.enabled() ? stream.viewType() : null);
            ObjectNode description = table.describe();
            description.put("TableStatus", "CREATING");
            setIndexStatus(description, "CREATING");
            ObjectNode response = Codec.JSON.objectNode();
            response.set("TableDescription", description);
            return response;
        });
    }

    ObjectNode deleteTable(JsonNode request) {
        String name = Requests.tableName(request);
        return db.write(() -> {
            Table table = db.findTable(name);
            if (table == null) {
                throw DynamoDbException.resourceNotFound("Requested resource not found: Table: " + name + " not found");
            }
            if (table.definition.path("DeletionProtectionEnabled").asBoolean(false)) {
                throw DynamoDbException.validation("Resource cannot be deleted as it is currently protected against "
                        + "deletion. Disable deletion protection first.");
            }
            ObjectNode description = table.describe();
            db.deleteTable(table);
            description.put("TableStatus", "DELETING");
            setIndexStatus(description, "DELETING");
            ObjectNode response = Codec.JSON.objectNode();
            response.set("TableDescription", description);
            return response;
        });
    }

    private static void setIndexStatus(ObjectNode description, String status) {
        JsonNode gsis = description.get("GlobalSecondaryIndexes");
        if (gsis != null) {
            gsis.forEach(g -> ((ObjectNode) g).put("IndexStatus", status));
        }
    }

    /** The members of UpdateTable besides TableName and StreamSpecification, which this emulator does not change. */
    private static final List<String> UNSUPPORTED_UPDATES = List.of("BillingMode", "ProvisionedThroughput",
            "GlobalSecondaryIndexUpdates", "SSESpecification", "ReplicaUpdates", "DeletionProtectionEnabled",
            "TableClass", "OnDemandThroughput", "WarmThroughput", "MultiRegionConsistency", "GlobalTableWitnessUpdates");

    /**
     * UpdateTable enables or disables the table's stream. Enabling makes a new stream (a new ARN and label); the
     * stream disabled before stays readable until its records expire. The response says UPDATING, as DynamoDB's
     * does; the change is in effect at once.
     */
    ObjectNode updateTable(JsonNode request) {
        String name = Requests.tableName(request);
        for (String member : UNSUPPORTED_UPDATES) {
            if (request.hasNonNull(member)) {
                throw DynamoDbException.validation("The DynamoDB emulator's UpdateTable changes StreamSpecification "
                        + "only; " + member + " is not implemented (its README lists what it does)");
            }
        }
        TableDefinition.StreamSpecification stream = TableDefinition.streamSpecification(request, false);
        if (stream == null) {
            throw DynamoDbException.validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                    + "GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, DeletionProtectionEnabled, "
                    + "OnDemandThroughput, WarmThroughput or TableClass is required");
        }
        return db.write(() -> {
            Table table = db.findTable(name);
            if (table == null) {
                throw DynamoDbException.resourceNotFound("Requested resource not found: Table: " + name + " not found");
            }
            if (stream.enabled()) {
                if (table.enabledStream() != null) {
                    throw DynamoDbException.validation("Table already has an enabled stream: TableName: " + name);
                }
                db.enableStream(table, stream.viewType());
            } else {
                if (table.enabledStream() == null) {
                    throw DynamoDbException.validation("Table has no stream to disable: TableName: " + name);
                }
                db.disableStream(table);
            }
            ObjectNode description = table.describe();
            description.put("TableStatus", "UPDATING");
            ObjectNode response = Codec.JSON.objectNode();
            response.set("TableDescription", description);
            return response;
        });
    }

    ObjectNode describeTable(JsonNode request) {
        String name = Requests.tableName(request);
        return db.read(() -> {
            Table table = db.findTable(name);
            if (table == null) {
                throw DynamoDbException.resourceNotFound("Requested resource not found: Table: " + name + " not found");
            }
            ObjectNode response = Codec.JSON.objectNode();
            response.set("Table", table.describe());
            return response;
        });
    }

    ObjectNode listTables(JsonNode request) {
        String start = Requests.string(request, "ExclusiveStartTableName");
        if (start != null) {
            Requests.checkTableName(start, "exclusiveStartTableName", 3);
        }
        Integer limitOrNull = Requests.integer(request, "Limit", 1, 100);
        int limit = limitOrNull == null ? 100 : limitOrNull;
        return db.read(() -> {
            ObjectNode response = Codec.JSON.objectNode();
            ArrayNode names = response.putArray("TableNames");
            var rest = start == null ? db.tables().navigableKeySet() : db.tables().navigableKeySet().tailSet(start, false);
            String last = null;
            for (String n : rest) {
                if (names.size() == limit) {
                    response.put("LastEvaluatedTableName", last);
                    break;
                }
                names.add(n);
                last = n;
            }
            return response;
        });
    }

    ObjectNode updateTimeToLive(JsonNode request) {
        String name = Requests.tableName(request);
        JsonNode spec = request.get("TimeToLiveSpecification");
        if (spec == null || !spec.isObject()) {
            throw Requests.constraint("null", "timeToLiveSpecification", "Member must not be null");
        }
        String attribute = Requests.requiredString(spec, "AttributeName");
        if (attribute.isEmpty() || Value.utf8Length(attribute) > 255) {
            throw Requests.constraint("'" + attribute + "'", "timeToLiveSpecification.attributeName",
                    "Member must have length less than or equal to 255");
        }
        if (!spec.has("Enabled") || !spec.get("Enabled").isBoolean()) {
            throw Requests.constraint("null", "timeToLiveSpecification.enabled", "Member must not be null");
        }
        boolean enabled = spec.get("Enabled").booleanValue();
        return db.write(() -> {
            Table table = db.table(name);
            if (enabled && table.ttlEnabled) {
                throw DynamoDbException.validation("TimeToLive is already enabled");
            }
            if (!enabled && !table.ttlEnabled) {
                throw DynamoDbException.validation("TimeToLive is already disabled");
            }
            if (!enabled && !attribute.equals(table.ttlAttribute)) {
                throw DynamoDbException.validation("TimeToLive is active on a different AttributeName: current "
                        + "AttributeName is " + table.ttlAttribute);
            }
            db.setTimeToLive(table, attribute, enabled);
            ObjectNode response = Codec.JSON.objectNode();
            ObjectNode out = response.putObject("TimeToLiveSpecification");
            out.put("Enabled", enabled);
            out.put("AttributeName", attribute);
            return response;
        });
    }

    ObjectNode describeTimeToLive(JsonNode request) {
        String name = Requests.tableName(request);
        return db.read(() -> {
            Table table = db.table(name);
            ObjectNode response = Codec.JSON.objectNode();
            ObjectNode d = response.putObject("TimeToLiveDescription");
            d.put("TimeToLiveStatus", table.ttlEnabled ? "ENABLED" : "DISABLED");
            if (table.ttlEnabled) {
                d.put("AttributeName", table.ttlAttribute);
            }
            return response;
        });
    }
}
