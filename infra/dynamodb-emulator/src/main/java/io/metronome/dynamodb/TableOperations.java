package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** CreateTable, DeleteTable, DescribeTable, ListTables, UpdateTimeToLive and DescribeTimeToLive. */
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
        return db.write(() -> {
            if (db.findTable(table.name) != null) {
                throw DynamoDbException.resourceInUse("Table already exists: " + table.name);
            }
            db.createTable(table);
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
