package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;

/** One table: its schema, its items ordered by key, and its indexes kept in step with every write. */
final class Table {
    final String name;
    final KeySchema key;
    final Map<String, String> attributeTypes;
    final Map<String, Index> indexes = new LinkedHashMap<>();
    /** The CreateTable request that made it: journalled, snapshotted, and the source of DescribeTable's settings. */
    final ObjectNode definition;
    final double creationTime;
    final String tableId;
    String ttlAttribute;
    boolean ttlEnabled;
    /** The stream enabled last (still enabled, or disabled since): DescribeTable's LatestStreamArn. */
    Stream latestStream;
    final NavigableMap<PrimaryKey, Map<String, Value>> items = new TreeMap<>();

    Table(String name, KeySchema key, Map<String, String> attributeTypes, ObjectNode definition, double creationTime,
          String tableId) {
        this.name = name;
        this.key = key;
        this.attributeTypes = attributeTypes;
        this.definition = definition;
        this.creationTime = creationTime;
        this.tableId = tableId;
    }

    static String newTableId() {
        return UUID.randomUUID().toString();
    }

    /** The stream that records this table's changes, or null when none is enabled. */
    Stream enabledStream() {
        return latestStream != null && latestStream.isOpen() ? latestStream : null;
    }

    Index index(String indexName) {
        Index index = indexes.get(indexName);
        if (index == null) {
            throw DynamoDbException.validation("The table does not have the specified index: " + indexName);
        }
        return index;
    }

    Map<String, Value> get(PrimaryKey k) {
        return items.get(k);
    }

    /** Replaces (or with null removes) the item at a key, and its index entries. */
    void write(PrimaryKey k, Map<String, Value> newItem) {
        Map<String, Value> old = newItem == null ? items.remove(k) : items.put(k, newItem);
        for (Index index : indexes.values()) {
            index.replace(index.project(old), index.project(newItem));
        }
    }

    /** Checks an item against the table's key and every index's key types. */
    PrimaryKey checkItem(Map<String, Value> item) {
        PrimaryKey k = key.checkItem(item);
        for (Index index : indexes.values()) {
            index.key.checkIndexAttributes(item, index.name);
        }
        return k;
    }

    PrimaryKey parseKey(Map<String, Value> keyAttributes) {
        return key.parseKey(keyAttributes, "The provided key element does not match the schema");
    }

    String arn() {
        return "arn:aws:dynamodb:" + DynamoDbEmulator.REGION + ":" + DynamoDbEmulator.ACCOUNT + ":table/" + name;
    }

    ObjectNode describe() {
        ObjectNode d = Codec.JSON.objectNode();
        d.set("AttributeDefinitions", definition.get("AttributeDefinitions").deepCopy());
        d.put("TableName", name);
        d.set("KeySchema", definition.get("KeySchema").deepCopy());
        d.put("TableStatus", "ACTIVE");
        d.put("CreationDateTime", creationTime);
        d.set("ProvisionedThroughput", throughput(definition.get("ProvisionedThroughput")));
        long size = 0;
        for (Map<String, Value> item : items.values()) {
            size += Items.size(item);
        }
        d.put("TableSizeBytes", size);
        d.put("ItemCount", items.size());
        d.put("TableArn", arn());
        d.put("TableId", tableId);
        String billing = definition.path("BillingMode").asText("PROVISIONED");
        ObjectNode summary = d.putObject("BillingModeSummary");
        summary.put("BillingMode", billing);
        summary.put("LastUpdateToPayPerRequestDateTime", creationTime);
        describeIndexes(d, "GlobalSecondaryIndexes", true);
        describeIndexes(d, "LocalSecondaryIndexes", false);
        d.put("DeletionProtectionEnabled", definition.path("DeletionProtectionEnabled").asBoolean(false));
        // As DynamoDB: the specification while a stream is enabled; the latest stream's ARN and label stay after.
        if (enabledStream() != null) {
            d.putObject("StreamSpecification").put("StreamEnabled", true).put("StreamViewType", latestStream.viewType);
        }
        if (latestStream != null) {
            d.put("LatestStreamArn", latestStream.arn);
            d.put("LatestStreamLabel", latestStream.label);
        }
        if (definition.has("TableClass")) {
            d.putObject("TableClassSummary").put("TableClass", definition.get("TableClass").asText());
        }
        return d;
    }

    private void describeIndexes(ObjectNode d, String member, boolean global) {
        JsonNode requested = definition.get(member);
        if (requested == null) {
            return;
        }
        ArrayNode out = d.putArray(member);
        for (JsonNode r : requested) {
            Index index = indexes.get(r.get("IndexName").asText());
            ObjectNode i = out.addObject();
            i.put("IndexName", index.name);
            i.set("KeySchema", r.get("KeySchema").deepCopy());
            i.set("Projection", r.get("Projection").deepCopy());
            if (global) {
                i.put("IndexStatus", "ACTIVE");
                i.set("ProvisionedThroughput", throughput(r.get("ProvisionedThroughput")));
            }
            long size = 0;
            for (Map<String, Value> entry : index.entries.values()) {
                size += Items.size(entry);
            }
            i.put("IndexSizeBytes", size);
            i.put("ItemCount", index.entries.size());
            i.put("IndexArn", arn() + "/index/" + index.name);
        }
    }

    private static ObjectNode throughput(JsonNode requested) {
        ObjectNode t = Codec.JSON.objectNode();
        t.put("NumberOfDecreasesToday", 0);
        t.put("ReadCapacityUnits", requested == null ? 0 : requested.path("ReadCapacityUnits").asLong(0));
        t.put("WriteCapacityUnits", requested == null ? 0 : requested.path("WriteCapacityUnits").asLong(0));
        return t;
    }
}
