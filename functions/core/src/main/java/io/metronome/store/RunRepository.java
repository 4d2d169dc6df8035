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
     * @param sweepAt when the sweeper first looks at the run (it enters the sweep index); null: never, until a
     *                resume or a decision puts it there
     * @return empty if created, else the id of the run that already holds the idempotency key
     */
    public Optional<String> create(Run run, TriggerEvent trigger, AuditEvent created, Instant now, long idempotencyTtlSeconds,
                                   Instant sweepAt) {
        Map<String, AttributeValue> runItem = RunItems.toItem(run);
        if (sweepAt != null) {
            runItem.put("sweepShard", Items.s(RunItems.sweepShard(run.id())));
            runItem.put("sweepAt", Items.time(sweepAt));
        }
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(TransactWriteItem.builder().put(Put.builder().tableName(tables.runs()).item(runItem)
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

    /**
     * A version of a run item as an image of it gives it (a DynamoDB stream record's OldImage or NewImage, or a
     * read of the item), for {@code RunEvents}. The input is not on the item and is not filled in.
     */
    public static Run fromImage(Map<String, AttributeValue> image) {
        return RunItems.fromItem(image);
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

    // ---------------------------------------------------------------- the sweep index

    /**
     * A run the sweep index holds, with the sweep time its item has (read consistently: the index lags its table)
     * and what the sweeper recorded of its sends to it.
     */
    public record Due(Run run, Instant sweepAt, Resent resent) {
    }

    /**
     * The sweeper's record of its own sends to a run ({@code sweepSends}, {@code sweepRev} on the run item): it
     * sent the run messages {@code times} visits in a row while the run stayed at revision {@code rev}.
     */
    public record Resent(int times, long rev) {
        public static final Resent NEVER = new Resent(0, -1);
    }

    public record DuePage(List<Due> runs, Map<String, AttributeValue> lastKey) {
    }

    /** The sweep index's partitions, each queried on its own. */
    public static List<String> sweepShards() {
        List<String> shards = new ArrayList<>();
        for (int i = 0; i < RunItems.SWEEP_SHARDS; i++) {
            shards.add(String.format("%02d", i));
        }
        return shards;
    }

    /**
     * A page of one shard of the sweep index, at most {@code limit} runs whose sweep time is at or before
     * {@code upTo} (every run of the shard when null), in the order of their sweep times, read in one batch. A run
     * whose item has moved on since the index was written (it lags its table) is left out.
     */
    public DuePage sweepDue(String shard, Instant upTo, int limit, Map<String, AttributeValue> startKey) {
        QueryRequest.Builder q = QueryRequest.builder().tableName(tables.runs()).indexName(Tables.RUNS_BY_SWEEP).limit(limit);
        if (upTo == null) {
            q.keyConditionExpression("sweepShard = :s").expressionAttributeValues(Map.of(":s", Items.s(shard)));
        } else {
            q.keyConditionExpression("sweepShard = :s AND sweepAt <= :t")
                    .expressionAttributeValues(Map.of(":s", Items.s(shard), ":t", Items.time(upTo)));
        }
        if (startKey != null) {
            q.exclusiveStartKey(startKey);
        }
        QueryResponse response = dynamo.query(q.build());
        List<String> ids = response.items().stream().map(i -> i.get(RunItems.PK).s()).toList();
        Map<String, Map<String, AttributeValue>> items = getAllItems(ids);
        List<Due> due = new ArrayList<>();
        for (String id : ids) {
            Map<String, AttributeValue> item = items.get(id);
            Instant sweepAt = item == null ? null : Items.time(item, "sweepAt");
            if (sweepAt != null && (upTo == null || !sweepAt.isAfter(upTo))) {
                due.add(due(item));
            }
        }
        return new DuePage(due, response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                ? response.lastEvaluatedKey() : null);
    }

    private static Due due(Map<String, AttributeValue> item) {
        Resent resent = item.containsKey("sweepRev")
                ? new Resent((int) Items.num(item, "sweepSends"), Items.num(item, "sweepRev")) : Resent.NEVER;
        return new Due(RunItems.fromItem(item), Items.time(item, "sweepAt"), resent);
    }

    /**
     * The outcome of moving a run on in the sweep index.
     *
     * @param changed when not moved because the run changed since it was read (not its sweep time): the run now
     */
    public record SweepMove(boolean moved, Due changed) {
    }

    /**
     * Moves a run in the sweep index to {@code next}, or out of it (null), if its sweep time is still {@code seen}
     * and it is still at revision {@code rev}: of two sweepers that read it, one moves it, and a decision is only
     * acted on for the run it was made from. Neither the run's revision nor its {@code updatedAt} change: a visit
     * of the sweeper is no change of the run, and races no writer.
     *
     * @param resent when the sweeper sends the run messages with this move, its record of its sends from now on
     *               (in the same write, so only the sweeper that sends counts); null: left as it is
     */
    public SweepMove moveSweep(String runId, Instant seen, long rev, Instant next, Resent resent) {
        Map<String, AttributeValue> values = new java.util.HashMap<>();
        values.put(":seen", Items.time(seen));
        values.put(":rev", Items.n(rev));
        String update;
        if (next == null) {
            update = "REMOVE sweepShard, sweepAt, sweepSends, sweepRev";
        } else {
            values.put(":next", Items.time(next));
            update = "SET sweepAt = :next";
            if (resent != null) {
                values.put(":sends", Items.n(resent.times()));
                values.put(":sentAt", Items.n(resent.rev()));
                update += ", sweepSends = :sends, sweepRev = :sentAt";
            }
        }
        try {
            dynamo.updateItem(UpdateItemRequest.builder().tableName(tables.runs()).key(Items.key(RunItems.PK, runId))
                    .updateExpression(update)
                    .conditionExpression("sweepAt = :seen AND #rev = :rev").expressionAttributeNames(Map.of("#rev", "rev"))
                    .expressionAttributeValues(values)
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD).build());
            return new SweepMove(true, null);
        } catch (ConditionalCheckFailedException e) {
            Map<String, AttributeValue> current = e.item();
            boolean sameSweep = current != null && !current.isEmpty() && seen.equals(Items.time(current, "sweepAt"));
            return new SweepMove(false, sameSweep ? due(current) : null);
        }
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

    /**
     * A page of a metronome's runs, oldest first, optionally of one status and with ids in {@code [fromId, toId)}
     * (ids sort by creation time, so that is a created-at range; null: unbounded), read in one batch. For bulk
     * jobs, which read a metronome's runs page by page from where the last page ended.
     */
    public Page range(String metronomeId, RunStatus status, String fromId, String toId, int limit,
                      Map<String, AttributeValue> startKey) {
        Map<String, AttributeValue> values = new java.util.HashMap<>();
        String pk = status == null ? "metronomeId" : "metronomeStatus";
        values.put(":m", Items.s(status == null ? metronomeId : RunItems.statusKey(metronomeId, status)));
        values.put(":from", Items.s(fromId != null ? fromId : "run_"));
        values.put(":to", Items.s(toId != null ? toId : "run_~"));
        QueryRequest.Builder q = QueryRequest.builder().tableName(tables.runs()).limit(limit)
                .indexName(status == null ? Tables.RUNS_BY_METRONOME : Tables.RUNS_BY_METRONOME_STATUS)
                .keyConditionExpression(pk + " = :m AND runId BETWEEN :from AND :to")
                .expressionAttributeValues(values);
        if (startKey != null) {
            q.exclusiveStartKey(startKey);
        }
        QueryResponse response = dynamo.query(q.build());
        List<String> ids = response.items().stream().map(i -> i.get(RunItems.PK).s())
                .filter(id -> toId == null || id.compareTo(toId) < 0).toList();
        return new Page(getAll(ids), response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                ? response.lastEvaluatedKey() : null);
    }

    /** The runs with these ids that exist (at most 100), in this order, read consistently in one batch. */
    public List<Run> findAll(List<String> ids) {
        return getAll(ids);
    }

    /** The runs with these ids, in this order (the indexes hold keys only; one batch read fetches the page). */
    private List<Run> getAll(List<String> ids) {
        Map<String, Map<String, AttributeValue>> found = getAllItems(ids);
        return ids.stream().map(found::get).filter(java.util.Objects::nonNull).map(RunItems::fromItem).toList();
    }

    /** The items of the runs with these ids (at most 100), by id, read consistently. */
    private Map<String, Map<String, AttributeValue>> getAllItems(List<String> ids) {
        Map<String, Map<String, AttributeValue>> found = new java.util.HashMap<>();
        if (ids.isEmpty()) {
            return found;
        }
        Map<String, KeysAndAttributes> request = Map.of(tables.runs(), KeysAndAttributes.builder()
                .keys(ids.stream().map(id -> Items.key(RunItems.PK, id)).toList()).consistentRead(true).build());
        while (request != null && !request.isEmpty()) {
            BatchGetItemResponse response = dynamo.batchGetItem(BatchGetItemRequest.builder().requestItems(request).build());
            response.responses().getOrDefault(tables.runs(), List.of()).forEach(i -> found.put(i.get(RunItems.PK).s(), i));
            request = response.hasUnprocessedKeys() && !response.unprocessedKeys().isEmpty() ? response.unprocessedKeys() : null;
        }
        return found;
    }
}
