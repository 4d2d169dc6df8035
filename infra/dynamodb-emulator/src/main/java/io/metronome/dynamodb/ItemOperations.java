package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/** GetItem, PutItem, UpdateItem and DeleteItem; also the checks a transaction's actions share with them. */
final class ItemOperations {
    private final Database db;

    ItemOperations(Database db) {
        this.db = db;
    }

    // ---- the parts of a write request, parsed before the lock is taken

    /** A ConditionExpression with its placeholders, or none. */
    record Guard(Condition condition, boolean returnOldOnFailure) {
        boolean passes(Map<String, Value> current) {
            return condition == null || condition.test(current == null ? Collections.emptyMap() : current);
        }
    }

    static Guard guard(JsonNode request, Placeholders p) {
        String text = Requests.string(request, "ConditionExpression");
        boolean allOld = Requests.choice(request, "ReturnValuesOnConditionCheckFailure", List.of("ALL_OLD", "NONE"),
                "NONE").equals("ALL_OLD");
        return new Guard(text == null ? null : ExpressionParser.condition(text, "ConditionExpression", p), allOld);
    }

    static DynamoDbException conditionFailed(Guard guard, Map<String, Value> current) {
        return DynamoDbException.conditionalCheckFailed(guard.returnOldOnFailure && current != null
                ? itemMember(current) : null);
    }

    private static ObjectNode itemMember(Map<String, Value> item) {
        ObjectNode o = Codec.JSON.objectNode();
        o.set("Item", Codec.json(item));
        return o;
    }

    /** Checks an item to put: its keys, its index keys, its size. */
    static Map<String, Value> checkPut(Table t, Map<String, Value> item) {
        if (item == null) {
            throw Requests.constraint("null", "item", "Member must not be null");
        }
        t.checkItem(item);
        if (Items.size(item) > Items.MAX_ITEM_SIZE) {
            throw DynamoDbException.validation("Item size has exceeded the maximum allowed size");
        }
        return Items.copy(item);
    }

    /** Checks an item an update produced. */
    static Map<String, Value> checkUpdated(Table t, Map<String, Value> item) {
        for (Index index : t.indexes.values()) {
            index.key.checkIndexAttributes(item, index.name);
        }
        for (Value v : item.values()) {
            if (Items.levels(v) > Items.MAX_LEVELS) {
                throw Codec.tooDeep();
            }
        }
        if (Items.size(item) > Items.MAX_ITEM_SIZE) {
            throw DynamoDbException.validation("Item size to update has exceeded the maximum allowed size");
        }
        return Items.copy(item);
    }

    /** ReturnValues: any of DynamoDB's for an update; only NONE and ALL_OLD for a put or delete. */
    private static String returnValues(JsonNode request, boolean update) {
        String v = Requests.choice(request, "ReturnValues",
                List.of("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"), "NONE");
        if (!update && !v.equals("NONE") && !v.equals("ALL_OLD")) {
            throw DynamoDbException.validation("ReturnValues can only be ALL_OLD or NONE");
        }
        return v;
    }

    // ---- operations

    ObjectNode getItem(JsonNode request) {
        String name = Requests.tableName(request);
        Map<String, Value> key = Requests.item(request, "Key");
        Placeholders p = Requests.placeholders(request, "ProjectionExpression");
        List<Path> projection = projection(request, p);
        p.checkAllUsed();
        boolean consistent = Requests.bool(request, "ConsistentRead");
        Capacity capacity = new Capacity(request, true, false);
        return db.read(() -> {
            Table t = db.table(name);
            Map<String, Value> item = t.get(t.parseKey(key));
            ObjectNode response = Codec.JSON.objectNode();
            if (item != null) {
                response.set("Item", Codec.json(Projection.apply(item, projection)));
            }
            capacity.table(t.name, Capacity.readUnits(Items.size(item), consistent));
            capacity.report(response);
            return response;
        });
    }

    /** ProjectionExpression (or the legacy AttributesToGet, which is the same for top-level names). */
    static List<Path> projection(JsonNode request, Placeholders p) {
        String text = Requests.string(request, "ProjectionExpression");
        JsonNode legacy = request.get("AttributesToGet");
        List<Path> paths = null;
        if (text != null) {
            if (legacy != null && !legacy.isNull()) {
                throw DynamoDbException.validation("Can not use both expression and non-expression parameters in the "
                        + "same request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                        + "{ProjectionExpression}");
            }
            paths = ExpressionParser.projection(text, p);
        } else if (legacy != null && !legacy.isNull()) {
            paths = new java.util.ArrayList<>();
            for (JsonNode a : legacy) {
                paths.add(Path.of(a.asText()));
            }
        }
        return paths;
    }

    ObjectNode putItem(JsonNode request) {
        String name = Requests.tableName(request);
        Requests.refuseLegacy(request, "Expected", "ConditionalOperator");
        Map<String, Value> item = Requests.item(request, "Item");
        String returnValues = returnValues(request, false);
        Placeholders p = Requests.placeholders(request, "ConditionExpression");
        Guard guard = guard(request, p);
        p.checkAllUsed();
        return writeOne(request, name, guard, t -> t.key.keyOf(checkPut(t, item)), (t, k, old) -> checkPut(t, item),
                (old, now) -> returnValues.equals("ALL_OLD") ? old : null);
    }

    ObjectNode updateItem(JsonNode request) {
        String name = Requests.tableName(request);
        Requests.refuseLegacy(request, "Expected", "ConditionalOperator", "AttributeUpdates");
        Map<String, Value> key = Requests.item(request, "Key");
        String returnValues = returnValues(request, true);
        Placeholders p = Requests.placeholders(request, "ConditionExpression", "UpdateExpression");
        String text = Requests.string(request, "UpdateExpression");
        UpdateExpression update = text == null ? null : ExpressionParser.update(text, p);
        Guard guard = guard(request, p);
        p.checkAllUsed();
        return writeOne(request, name, guard, t -> {
            PrimaryKey k = t.parseKey(key);
            if (update != null) {
                update.checkKeyNotWritten(t.key.names());
            }
            return k;
        }, (t, k, old) -> {
            Map<String, Value> base = old != null ? old : t.key.keyItem(k);
            return checkUpdated(t, update == null ? base : update.apply(base, t.key.names()));
        }, (old, now) -> switch (returnValues) {
            case "ALL_OLD" -> old;
            case "ALL_NEW" -> now;
            case "UPDATED_OLD" -> update == null ? null : Projection.apply(old, update.paths());
            case "UPDATED_NEW" -> update == null ? null : Projection.apply(now, update.paths());
            default -> null;
        });
    }

    ObjectNode deleteItem(JsonNode request) {
        String name = Requests.tableName(request);
        Requests.refuseLegacy(request, "Expected", "ConditionalOperator");
        Map<String, Value> key = Requests.item(request, "Key");
        String returnValues = returnValues(request, false);
        Placeholders p = Requests.placeholders(request, "ConditionExpression");
        Guard guard = guard(request, p);
        p.checkAllUsed();
        return writeOne(request, name, guard, t -> t.parseKey(key), (t, k, old) -> null,
                (old, now) -> returnValues.equals("ALL_OLD") ? old : null);
    }

    /** What a single-item write makes of the item it found (null: there is none; returning null deletes it). */
    private interface Change {
        Map<String, Value> apply(Table t, PrimaryKey key, Map<String, Value> before);
    }

    /**
     * The one path of PutItem, UpdateItem and DeleteItem, under the write lock: find the item, check the
     * condition against it, work out the item after, commit, and answer with the attributes asked for.
     */
    private ObjectNode writeOne(JsonNode request, String tableName, Guard guard, Function<Table, PrimaryKey> locate,
                                Change change, BinaryOperator<Map<String, Value>> returned) {
        Capacity capacity = new Capacity(request, false, false);
        return db.write(() -> {
            Table t = db.table(tableName);
            PrimaryKey k = locate.apply(t);
            Map<String, Value> old = t.get(k);
            if (!guard.passes(old)) {
                throw conditionFailed(guard, old);
            }
            Map<String, Value> after = change.apply(t, k, old);
            if (old != null || after != null) {
                db.commit(List.of(new Database.Write(t, k, after)));
            }
            capacity.itemWrite(t, old, after, 1);
            ObjectNode response = Codec.JSON.objectNode();
            Map<String, Value> attributes = returned.apply(old, after);
            if (attributes != null && !attributes.isEmpty()) {
                response.set("Attributes", Codec.json(attributes));
            }
            capacity.report(response);
            return response;
        });
    }
}
