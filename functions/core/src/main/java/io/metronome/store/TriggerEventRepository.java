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

    public Optional<TriggerEvent> find(String metronomeId, String id) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.triggerEvents())
                .key(Items.key("metronomeId", metronomeId, "id", id))).item();
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
