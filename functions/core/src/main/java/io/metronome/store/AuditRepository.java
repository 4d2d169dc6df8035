package io.metronome.store;

import io.metronome.domain.AuditEvent;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.metronome.store.Items.json;
import static io.metronome.store.Items.s;
import static io.metronome.store.Items.str;
import static io.metronome.store.Items.time;

/**
 * The audit events table (key: scope, id). A run's events have the run id as scope; ids sort by time, so a query
 * returns them oldest first. Events are only ever written in the same transaction as the change they record.
 */
public final class AuditRepository {
    private final DynamoDbClient dynamo;
    private final Tables tables;

    public AuditRepository(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    static Put put(Tables tables, AuditEvent e) {
        return Put.builder().tableName(tables.auditEvents()).item(toItem(e))
                .conditionExpression("attribute_not_exists(id)").build();
    }

    /** @param lastKey where the next page starts, or null after the last */
    public record Page(List<AuditEvent> events, Map<String, AttributeValue> lastKey) {
    }

    /** Up to {@code limit} of a run's audit events oldest first, after event {@code afterId} (null: from the first). */
    public Page page(String runId, String afterId, int limit) {
        QueryRequest.Builder q = QueryRequest.builder().tableName(tables.auditEvents())
                .keyConditionExpression("#scope = :r").expressionAttributeNames(Map.of("#scope", "scope"))
                .expressionAttributeValues(Map.of(":r", s(runId))).limit(limit).consistentRead(true);
        if (afterId != null) {
            q.exclusiveStartKey(Items.key("scope", runId, "id", afterId));
        }
        var response = dynamo.query(q.build());
        return new Page(response.items().stream().map(AuditRepository::fromItem).toList(),
                response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty() ? response.lastEvaluatedKey() : null);
    }

    /** A run's newest {@code limit} audit events, newest first. */
    public List<AuditEvent> latest(String runId, int limit) {
        return dynamo.query(QueryRequest.builder().tableName(tables.auditEvents())
                .keyConditionExpression("#scope = :r").expressionAttributeNames(Map.of("#scope", "scope"))
                .expressionAttributeValues(Map.of(":r", s(runId))).limit(limit).scanIndexForward(false)
                .consistentRead(true).build()).items().stream().map(AuditRepository::fromItem).toList();
    }

    static Map<String, AttributeValue> toItem(AuditEvent e) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("scope", s(e.runId() != null ? e.runId() : e.metronomeId()));
        m.put("id", s(e.id()));
        m.put("metronomeId", s(e.metronomeId()));
        m.put("userId", s(e.userId()));
        m.put("actorUserId", s(e.actorUserId()));
        m.put("runId", s(e.runId()));
        m.put("versionId", s(e.versionId()));
        m.put("action", s(e.action()));
        m.put("payload", json(e.payload()));
        m.put("createdAt", time(e.createdAt()));
        return m;
    }

    static AuditEvent fromItem(Map<String, AttributeValue> m) {
        return new AuditEvent(str(m, "id"), str(m, "metronomeId"), str(m, "userId"), str(m, "actorUserId"),
                str(m, "runId"), str(m, "versionId"), str(m, "action"), json(m, "payload"), time(m, "createdAt"));
    }
}
