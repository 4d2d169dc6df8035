package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TransactWriteItems and TransactGetItems. A write transaction checks every action's condition under the
 * database's write lock and then commits all of its writes as one journal record, or none: a failed condition
 * (or an action DynamoDB would refuse) cancels the whole transaction with a reason per action, in request order.
 */
final class TransactionOperations {
    static final int MAX_ACTIONS = 100;
    static final long MAX_TRANSACTION_BYTES = 4L * 1024 * 1024;
    /** How long DynamoDB remembers a ClientRequestToken. */
    static final long TOKEN_MILLIS = 10 * 60 * 1000;

    private final Database db;
    private final Map<String, Remembered> tokens = new LinkedHashMap<>();

    private record Remembered(JsonNode request, ObjectNode response, long at) {
    }

    TransactionOperations(Database db) {
        this.db = db;
    }

    private enum Kind { CONDITION_CHECK, PUT, DELETE, UPDATE }

    private record Action(Kind kind, String table, Map<String, Value> item, Map<String, Value> key,
                          ItemOperations.Guard guard, UpdateExpression update) {
    }

    ObjectNode transactWriteItems(JsonNode request) {
        JsonNode items = transactItems(request);
        String token = Requests.string(request, "ClientRequestToken");
        if (token != null && (token.isEmpty() || token.length() > 36)) {
            throw Requests.constraint("'" + token + "'", "clientRequestToken",
                    "Member must have length less than or equal to 36");
        }
        List<Action> actions = new ArrayList<>();
        long bytes = 0;
        for (JsonNode entry : items) {
            Map.Entry<String, JsonNode> only = onlyAction(entry, List.of("ConditionCheck", "Put", "Delete", "Update"));
            JsonNode a = only.getValue();
            Kind kind = switch (only.getKey()) {
                case "ConditionCheck" -> Kind.CONDITION_CHECK;
                case "Put" -> Kind.PUT;
                case "Delete" -> Kind.DELETE;
                default -> Kind.UPDATE;
            };
            String table = Requests.tableName(a);
            Placeholders p = Requests.placeholders(a, "ConditionExpression", "UpdateExpression");
            UpdateExpression update = null;
            if (kind == Kind.UPDATE) {
                String text = Requests.string(a, "UpdateExpression");
                if (text == null) {
                    throw Requests.constraint("null", "transactItems.member.update.updateExpression",
                            "Member must not be null");
                }
                update = ExpressionParser.update(text, p);
            }
            ItemOperations.Guard guard = ItemOperations.guard(a, p);
            if (kind == Kind.CONDITION_CHECK && guard.condition() == null) {
                throw Requests.constraint("null", "transactItems.member.conditionCheck.conditionExpression",
                        "Member must not be null");
            }
            p.checkAllUsed();
            Map<String, Value> item = kind == Kind.PUT ? Requests.item(a, "Item") : null;
            if (kind == Kind.PUT && item == null) {
                throw Requests.constraint("null", "transactItems.member.put.item", "Member must not be null");
            }
            if (item != null && Items.size(item) > Items.MAX_ITEM_SIZE) {
                throw DynamoDbException.validation("Item size has exceeded the maximum allowed size");
            }
            Map<String, Value> key = kind == Kind.PUT ? null : Requests.item(a, "Key");
            if (kind != Kind.PUT && key == null) {
                throw Requests.constraint("null", "transactItems.member.key", "Member must not be null");
            }
            bytes += Items.size(item) + Items.size(key);
            actions.add(new Action(kind, table, item, key, guard, update));
        }
        if (bytes > MAX_TRANSACTION_BYTES) {
            throw DynamoDbException.validation("Transaction request size has exceeded the maximum allowed size of 4 MB");
        }
        Capacity capacity = new Capacity(request, false, true);
        return db.write(() -> {
            long now = db.clock.millis();
            tokens.values().removeIf(r -> now - r.at > TOKEN_MILLIS);
            if (token != null && tokens.containsKey(token)) {
                Remembered r = tokens.get(token);
                if (!r.request.equals(withoutCapacity(request))) {
                    throw DynamoDbException.idempotentParameterMismatch("Request parameters do not match those of an "
                            + "earlier request with the same ClientRequestToken");
                }
                // A replay writes nothing; DynamoDB charges it the reads of the items instead.
                Capacity reads = new Capacity(request, true, true);
                for (Action a : actions) {
                    Table t = db.findTable(a.table);
                    if (t != null) {
                        PrimaryKey k = a.kind == Kind.PUT ? t.key.keyOf(a.item) : t.key.keyOf(a.key);
                        reads.table(t.name, Capacity.readUnits(Items.size(k == null ? null : t.get(k)), true));
                    }
                }
                ObjectNode replay = Codec.JSON.objectNode();
                reads.reportList(replay);
                return replay;
            }
            ObjectNode response = execute(actions, capacity);
            if (token != null) {
                tokens.put(token, new Remembered(withoutCapacity(request), response.deepCopy(), now));
            }
            return response;
        });
    }

    private ObjectNode execute(List<Action> actions, Capacity capacity) {
        List<Table> tables = new ArrayList<>();
        List<PrimaryKey> keys = new ArrayList<>();
        List<ObjectNode> reasons = new ArrayList<>();
        Set<List<Object>> seen = new HashSet<>();
        for (Action a : actions) {
            Table t = db.table(a.table);
            ObjectNode reason = null;
            PrimaryKey k = null;
            // An empty key value refuses the whole request, as DynamoDB does; a key of the wrong shape or type only
            // cancels the transaction, with a ValidationError for this action.
            t.key.checkNoEmptyKeyValues(a.kind == Kind.PUT ? a.item : a.key);
            if (a.update != null) {
                a.update.checkKeyNotWritten(t.key.names());
            }
            try {
                k = a.kind == Kind.PUT ? t.checkItem(a.item) : t.parseKey(a.key);
            } catch (DynamoDbException e) {
                reason = reason("ValidationError", e.getMessage());
            }
            if (k != null && !seen.add(List.of(t.name, k))) {
                throw DynamoDbException.validation("Transaction request cannot include multiple operations on one item");
            }
            tables.add(t);
            keys.add(k);
            reasons.add(reason);
        }
        List<Database.Write> writes = new ArrayList<>();
        List<Map<String, Value>> befores = new ArrayList<>();
        boolean cancelled = false;
        for (int i = 0; i < actions.size(); i++) {
            Action a = actions.get(i);
            Table t = tables.get(i);
            PrimaryKey k = keys.get(i);
            if (reasons.get(i) != null) {
                cancelled = true;
                continue;
            }
            Map<String, Value> old = t.get(k);
            befores.add(old);
            if (!a.guard.passes(old)) {
                ObjectNode r = reason("ConditionalCheckFailed", "The conditional request failed");
                if (a.guard.returnOldOnFailure() && old != null) {
                    r.set("Item", Codec.json(old));
                }
                reasons.set(i, r);
                cancelled = true;
                continue;
            }
            try {
                switch (a.kind) {
                    case PUT -> writes.add(new Database.Write(t, k, ItemOperations.checkPut(t, a.item)));
                    case DELETE -> writes.add(new Database.Write(t, k, null));
                    case UPDATE -> {
                        Map<String, Value> base = old != null ? old : t.key.keyItem(k);
                        writes.add(new Database.Write(t, k,
                                ItemOperations.checkUpdated(t, a.update.apply(base, t.key.names()))));
                    }
                    default -> writes.add(null);
                }
            } catch (DynamoDbException e) {
                if (!e.shortType().equals("ValidationException")) {
                    throw e;
                }
                reasons.set(i, reason("ValidationError", e.getMessage()));
                cancelled = true;
            }
        }
        if (cancelled) {
            List<String> codes = new ArrayList<>();
            ObjectNode extra = Codec.JSON.objectNode();
            ArrayNode list = extra.putArray("CancellationReasons");
            for (ObjectNode r : reasons) {
                ObjectNode reason = r != null ? r : reason("None", null);
                codes.add(reason.get("Code").asText());
                list.add(reason);
            }
            throw DynamoDbException.transactionCanceled("Transaction cancelled, please refer cancellation reasons for "
                    + "specific reasons " + codes, extra);
        }
        List<Database.Write> committed = new ArrayList<>();
        for (int i = 0; i < actions.size(); i++) {
            Database.Write w = writes.get(i);
            if (w == null) {
                // A condition check reads its item and writes nothing, but is charged as a transactional write.
                capacity.table(tables.get(i).name, 2 * Capacity.writeUnits(Items.size(befores.get(i))));
            } else {
                capacity.itemWrite(w.table(), befores.get(i), w.item(), 2);
                committed.add(w);
            }
        }
        db.commit(committed);
        ObjectNode response = Codec.JSON.objectNode();
        capacity.reportList(response);
        return response;
    }

    private static ObjectNode reason(String code, String message) {
        ObjectNode r = Codec.JSON.objectNode().put("Code", code);
        if (message != null) {
            r.put("Message", message);
        }
        return r;
    }

    private static JsonNode withoutCapacity(JsonNode request) {
        ObjectNode copy = request.deepCopy();
        copy.remove("ReturnConsumedCapacity");
        return copy;
    }

    ObjectNode transactGetItems(JsonNode request) {
        JsonNode items = transactItems(request);
        record Get(String table, Map<String, Value> key, List<Path> projection) {
        }
        List<Get> gets = new ArrayList<>();
        for (JsonNode entry : items) {
            JsonNode g = onlyAction(entry, List.of("Get")).getValue();
            Placeholders p = Requests.placeholders(g, "ProjectionExpression");
            List<Path> projection = ItemOperations.projection(g, p);
            p.checkAllUsed();
            gets.add(new Get(Requests.tableName(g), Requests.item(g, "Key"), projection));
        }
        Capacity capacity = new Capacity(request, true, true);
        return db.read(() -> {
            Set<List<Object>> seen = new HashSet<>();
            List<Map<String, Value>> found = new ArrayList<>();
            long bytes = 0;
            for (Get g : gets) {
                Table t = db.table(g.table);
                PrimaryKey k = t.parseKey(g.key);
                if (!seen.add(List.of(t.name, k))) {
                    throw DynamoDbException.validation("Transaction request cannot include multiple operations on one item");
                }
                Map<String, Value> item = t.get(k);
                bytes += Items.size(item);
                capacity.table(t.name, 2 * Capacity.readUnits(Items.size(item), true));
                found.add(item == null ? null : Projection.apply(item, g.projection));
            }
            if (bytes > MAX_TRANSACTION_BYTES) {
                throw DynamoDbException.validation("Total size of the items read in the transaction exceeds 4 MB");
            }
            ObjectNode response = Codec.JSON.objectNode();
            ArrayNode responses = response.putArray("Responses");
            for (Map<String, Value> item : found) {
                ObjectNode r = responses.addObject();
                if (item != null) {
                    r.set("Item", Codec.json(item));
                }
            }
            capacity.reportList(response);
            return response;
        });
    }

    private static JsonNode transactItems(JsonNode request) {
        JsonNode items = request.get("TransactItems");
        if (items == null || !items.isArray()) {
            throw Requests.constraint("null", "transactItems", "Member must not be null");
        }
        if (items.isEmpty()) {
            throw Requests.constraint("'[]'", "transactItems", "Member must have length greater than or equal to 1");
        }
        if (items.size() > MAX_ACTIONS) {
            throw Requests.constraint("'[...]'", "transactItems", "Member must have length less than or equal to 100");
        }
        return items;
    }

    private static Map.Entry<String, JsonNode> onlyAction(JsonNode entry, List<String> allowed) {
        Map.Entry<String, JsonNode> only = null;
        int count = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = entry.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isNull()) {
                count++;
                only = f;
            }
        }
        if (count != 1 || !allowed.contains(only.getKey()) || !only.getValue().isObject()) {
            throw DynamoDbException.validation(allowed.size() == 1 ? "TransactItems can only contain a Get"
                    : "TransactItems can only contain one of Check, Put, Update or Delete");
        }
        return only;
    }
}
