package io.metronome.store;

import io.metronome.domain.AuditEvent;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.TriggerEvent;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The runs table: one item per run, holding the run and the state of each of its nodes. */
public final class RunRepository {
    private final DynamoDbClient dynamo;
    private final Tables tables;

    public RunRepository(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    public record Page(List<Run> runs, Map<String, AttributeValue> lastKey) {
    }

    /**
     * Creates a run with its trigger event and its {@code run.created} audit event, all or nothing. With an
     * idempotency key, the key's record is written in the same transaction; if the key is already taken the
     * transaction fails and the existing run's id is returned instead.
     *
     * @return empty if created, else the id of the run that already holds the idempotency key
     */
    public Optional<String> create(Run run, TriggerEvent trigger, AuditEvent created, Instant now, long idempotencyTtlSeconds) {
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(TransactWriteItem.builder().put(Put.builder().tableName(tables.runs()).item(RunItems.toItem(run))
                .conditionExpression("attribute_not_exists(runId)").build()).build());
        items.add(TransactWriteItem.builder().put(Put.builder().tableName(tables.triggerEvents())
                .item(TriggerEventRepository.toItem(trigger)).build()).build());
        items.add(TransactWriteItem.builder().put(AuditRepository.put(tables, created)).build());
        items.add(TransactWriteItem.builder().put(RunData.inputPut(tables, run.id(), run.input())).build());
        String idemKey = run.idempotencyKey() == null ? null : run.metronomeId() + "#" + run.idempotencyKey();
        if (idemKey != null) {
            items.add(TransactWriteItem.builder().put(Put.builder().tableName(tables.idempotency())
                    .item(Map.of("key", Items.s(idemKey), "runId", Items.s(run.id()),
                            "expiresAt", Items.n(now.getEpochSecond() + idempotencyTtlSeconds)))
                    .conditionExpression("attribute_not_exists(#k) OR expiresAt < :now")
                    .expressionAttributeNames(Map.of("#k", "key"))
                    .expressionAttributeValues(Map.of(":now", Items.n(now.getEpochSecond())))
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                    .build()).build());
        }
        try {
            dynamo.transactWriteItems(r -> r.transactItems(items));
            return Optional.empty();
        } catch (TransactionCanceledException e) {
            if (idemKey != null && e.cancellationReasons().size() == items.size()) {
                CancellationReason reason = e.cancellationReasons().get(items.size() - 1);
                if ("ConditionalCheckFailed".equals(reason.code())) {
                    if (reason.item() != null && reason.item().containsKey("runId")) {
                        return Optional.of(reason.item().get("runId").s());
                    }
                    Map<String, AttributeValue> existing = dynamo.getItem(g -> g.tableName(tables.idempotency())
                            .key(Items.key("key", idemKey)).consistentRead(true)).item();
                    if (existing != null && existing.containsKey("runId")) {
                        return Optional.of(existing.get("runId").s());
                    }
                }
            }
            throw e;
        }
    }

    /** The id of the run an idempotency key of a metronome started, unless the key has expired. */
    public Optional<String> findIdempotent(String metronomeId, String idempotencyKey, Instant now) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.idempotency())
                .key(Items.key("key", metronomeId + "#" + idempotencyKey)).consistentRead(true)).item();
        if (item == null || item.isEmpty() || Items.num(item, "expiresAt") < now.getEpochSecond()) {
            return Optional.empty();
        }
        return Optional.ofNullable(Items.str(item, "runId"));
    }

    public Optional<Run> find(String runId) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.runs())
                .key(Items.key(RunItems.PK, runId)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(RunItems.fromItem(item));
    }

    /**
     * Applies a write, returning the run as it was before ({@code ALL_OLD}) or after ({@code ALL_NEW}).
     *
     * @throws RunConflict the condition did not hold; carries the current run
     */
    public Run update(RunWrite write, ReturnValue returnValue) {
        try {
            Update u = toUpdate(write);
            Map<String, AttributeValue> item = dynamo.updateItem(UpdateItemRequest.builder()
                    .tableName(u.tableName()).key(u.key()).updateExpression(u.updateExpression())
                    .conditionExpression(u.conditionExpression()).expressionAttributeNames(u.expressionAttributeNames())
                    .expressionAttributeValues(u.expressionAttributeValues()).returnValues(returnValue)
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                    .build()).attributes();
            return RunItems.fromItem(item);
        } catch (ConditionalCheckFailedException e) {
            Map<String, AttributeValue> current = e.item();
            if (current == null || current.isEmpty()) {
                throw new RunConflict(find(write.runId).orElse(null));
            }
            throw new RunConflict(RunItems.fromItem(current));
        }
    }

    /**
     * Applies a write together with the audit events it produces, atomically: an audited transition either
     * happens with its events or not at all.
     *
     * @throws RunConflict the condition did not hold; carries the current run
     */
    public void transact(RunWrite write, List<AuditEvent> events) {
        if (events.isEmpty()) {
            update(write, ReturnValue.ALL_OLD); // nothing to audit: a plain write, at half a transaction's cost
            return;
        }
        write.countAuditEvents(events.size());
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(TransactWriteItem.builder().update(toUpdate(write)).build());
        events.forEach(ev -> items.add(TransactWriteItem.builder().put(AuditRepository.put(tables, ev)).build()));
        try {
            dynamo.transactWriteItems(r -> r.transactItems(items));
        } catch (TransactionCanceledException e) {
            CancellationReason reason = e.cancellationReasons().isEmpty() ? null : e.cancellationReasons().get(0);
            if (reason != null && "ConditionalCheckFailed".equals(reason.code())) {
                Map<String, AttributeValue> current = reason.item();
                throw new RunConflict(current == null || current.isEmpty()
                        ? find(write.runId).orElse(null) : RunItems.fromItem(current));
            }
            throw e;
        }
    }

    private Update toUpdate(RunWrite write) {
        return Update.builder().tableName(tables.runs()).key(Items.key(RunItems.PK, write.runId))
                .updateExpression(write.updateExpression()).conditionExpression(write.conditionExpression())
                .expressionAttributeNames(write.names()).expressionAttributeValues(write.values())
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD).build();
    }

    /**
     * Every run not yet ended. A full table scan: only for the local stack's start-up, where the queue's
     * messages did not survive a restart. Deployed, the queue keeps them and nothing calls this.
     */
    public List<Run> scanUnfinished() {
        List<Run> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            var request = software.amazon.awssdk.services.dynamodb.model.ScanRequest.builder().tableName(tables.runs())
                    .filterExpression("NOT #s IN (:c, :f, :x)").expressionAttributeNames(Map.of("#s", "status"))
                    .expressionAttributeValues(Map.of(":c", Items.s("completed"), ":f", Items.s("failed"),
                            ":x", Items.s("cancelled"))).consistentRead(true);
            if (start != null) {
                request.exclusiveStartKey(start);
            }
            var response = dynamo.scan(request.build());
            response.items().forEach(i -> out.add(RunItems.fromItem(i)));
            start = response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty() ? response.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }

    /** Runs of a metronome, newest first, optionally of one status, through the matching index (never a scan). */
    public Page list(String metronomeId, RunStatus status, int limit, Map<String, AttributeValue> startKey) {
        QueryRequest.Builder q = QueryRequest.builder().tableName(tables.runs()).limit(limit).scanIndexForward(false);
        if (status == null) {
            q.indexName(Tables.RUNS_BY_METRONOME).keyConditionExpression("metronomeId = :m")
                    .expressionAttributeValues(Map.of(":m", Items.s(metronomeId)));
        } else {
            q.indexName(Tables.RUNS_BY_METRONOME_STATUS).keyConditionExpression("metronomeStatus = :m")
                    .expressionAttributeValues(Map.of(":m", Items.s(RunItems.statusKey(metronomeId, status))));
        }
        if (startKey != null) {
            q.exclusiveStartKey(startKey);
        }
        QueryResponse response = dynamo.query(q.build());
        List<String> ids = response.items().stream().map(i -> i.get(RunItems.PK).s()).toList();
        return new Page(getAll(ids), response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                ? response.lastEvaluatedKey() : null);
    }

    /** The runs with these ids, in this order (the indexes hold keys only; one batch read fetches the page). */
    private List<Run> getAll(List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<String, Run> found = new java.util.HashMap<>();
        Map<String, KeysAndAttributes> request = Map.of(tables.runs(), KeysAndAttributes.builder()
                .keys(ids.stream().map(id -> Items.key(RunItems.PK, id)).toList()).consistentRead(true).build());
        while (request != null && !request.isEmpty()) {
            BatchGetItemResponse response = dynamo.batchGetItem(BatchGetItemRequest.builder().requestItems(request).build());
            response.responses().getOrDefault(tables.runs(), List.of())
                    .forEach(i -> found.put(i.get(RunItems.PK).s(), RunItems.fromItem(i)));
            request = response.hasUnprocessedKeys() && !response.unprocessedKeys().isEmpty() ? response.unprocessedKeys() : null;
        }
        return ids.stream().map(found::get).filter(java.util.Objects::nonNull).toList();
    }
}
