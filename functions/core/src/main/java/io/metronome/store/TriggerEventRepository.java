package io.metronome.store;

import io.metronome.domain.TriggerEvent;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static io.metronome.store.Items.json;
import static io.metronome.store.Items.s;
import static io.metronome.store.Items.str;
import static io.metronome.store.Items.time;

/** The trigger events table (key: metronomeId, id): why each run started, or why a delivery started none. */
public final class TriggerEventRepository {
    private final DynamoDbClient dynamo;
    private final Tables tables;

    public TriggerEventRepository(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    public record Page(java.util.List<TriggerEvent> events, Map<String, AttributeValue> lastKey) {
    }

    /**
     * Records a trigger event that started no run, once per source event: a redelivery finds the first one.
     *
     * @return empty if recorded, else the id of the event recorded for this source event before
     */
    public Optional<String> recordOnce(TriggerEvent event, String dedupeKey, long ttlSeconds) {
        String key = "tev#" + event.metronomeId() + "#" + dedupeKey;
        try {
            dynamo.transactWriteItems(r -> r.transactItems(
                    software.amazon.awssdk.services.dynamodb.model.TransactWriteItem.builder().put(p -> p
                            .tableName(tables.idempotency())
                            .item(Map.of("key", s(key), "triggerEventId", s(event.id()),
                                    "expiresAt", Items.n(event.createdAt().getEpochSecond() + ttlSeconds)))
                            .conditionExpression("attribute_not_exists(#k)")
                            .expressionAttributeNames(Map.of("#k", "key"))).build(),
                    software.amazon.awssdk.services.dynamodb.model.TransactWriteItem.builder().put(p -> p
                            .tableName(tables.triggerEvents()).item(toItem(event))).build()));
            return Optional.empty();
        } catch (software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException e) {
            Map<String, AttributeValue> existing = dynamo.getItem(r -> r.tableName(tables.idempotency())
                    .key(Items.key("key", key)).consistentRead(true)).item();
            if (existing == null || !existing.containsKey("triggerEventId")) {
                throw e;
            }
            return Optional.of(existing.get("triggerEventId").s());
        }
    }

    /** The trigger event first recorded for a source event, if one was. */
    public Optional<TriggerEvent> findBySource(String metronomeId, String dedupeKey) {
        Map<String, AttributeValue> existing = dynamo.getItem(r -> r.tableName(tables.idempotency())
                .key(Items.key("key", "tev#" + metronomeId + "#" + dedupeKey)).consistentRead(true)).item();
        return existing == null || !existing.containsKey("triggerEventId") ? Optional.empty()
                : find(metronomeId, existing.get("triggerEventId").s());
    }

    /**
     * Records an event that must not claim its source event id (a delivery whose signature failed); it expires
     * (the table's TTL) after {@code keepSeconds}.
     */
    public void record(TriggerEvent event, long keepSeconds) {
        Map<String, AttributeValue> item = toItem(event);
        item.put("expiresAt", Items.n(event.createdAt().getEpochSecond() + keepSeconds));
        dynamo.putItem(r -> r.tableName(tables.triggerEvents()).item(item));
    }

    /** A metronome's trigger events, newest first (ids sort by time). */
    public Page list(String metronomeId, int limit, Map<String, AttributeValue> startKey) {
        var q = software.amazon.awssdk.services.dynamodb.model.QueryRequest.builder().tableName(tables.triggerEvents())
                .keyConditionExpression("metronomeId = :m").expressionAttributeValues(Map.of(":m", s(metronomeId)))
                .scanIndexForward(false).limit(limit);
        if (startKey != null) {
            q.exclusiveStartKey(startKey);
        }
        var response = dynamo.query(q.build());
        return new Page(response.items().stream().map(TriggerEventRepository::fromItem).toList(),
                response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty() ? response.lastEvaluatedKey() : null);
    }

    public Optional<TriggerEvent> find(String metronomeId, String id) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.triggerEvents())
                .key(Items.key("metronomeId", metronomeId, "id", id)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(fromItem(item));
    }

    static Map<String, AttributeValue> toItem(TriggerEvent t) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("metronomeId", s(t.metronomeId()));
        m.put("id", s(t.id()));
        m.put("userId", s(t.userId()));
        m.put("runId", s(t.runId()));
        m.put("triggerType", s(t.triggerType()));
        m.put("status", s(t.status()));
        m.put("sourceEventId", s(t.sourceEventId()));
        m.put("summary", s(t.summary()));
        m.put("reason", s(t.reason()));
        m.put("payload", json(t.payload()));
        m.put("createdAt", time(t.createdAt()));
        return m;
    }

    static TriggerEvent fromItem(Map<String, AttributeValue> m) {
        return new TriggerEvent(str(m, "id"), str(m, "metronomeId"), str(m, "userId"), str(m, "runId"),
                str(m, "triggerType"), str(m, "status"), str(m, "sourceEventId"), str(m, "summary"),
                str(m, "reason"), json(m, "payload"), time(m, "createdAt"));
    }
}
