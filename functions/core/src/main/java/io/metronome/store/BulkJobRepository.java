package io.metronome.store;

import com.fasterxml.jackson.databind.JsonNode;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.metronome.store.Items.json;
import static io.metronome.store.Items.n;
import static io.metronome.store.Items.s;
import static io.metronome.store.Items.str;
import static io.metronome.store.Items.time;

/**
 * Bulk jobs and their per-run results, in the steps table under the job's id as partition key (job ids,
 * {@code blk_...}, are never run ids, so no run's items are among them):
 *
 * <table>
 *   <tr><th>sort key</th><th>holds</th><th>written</th></tr>
 *   <tr><td>{@code $job}</td><td>the job: who, what, which runs, its counts, and the page it is at with that
 *       page's cursor</td><td>created once; counts added with each result; the page moved on only from the page
 *       it is at</td></tr>
 *   <tr><td>{@code res#<runId>}</td><td>what the job did to that run</td><td>once (conditional), in one
 *       transaction with the job's count of it</td></tr>
 * </table>
 * and, in the partition {@code $bulk#running}, an item per job not completed yet (written with the job, deleted
 * with its completion), so that a restart can find them without a scan.
 */
public final class BulkJobRepository {
    private static final String SK = RunData.SK;
    static final String JOB = "$job";
    static final String RESULT = "res#";
    /** The partition listing the jobs not completed yet, one item (sort key: the job id) each. */
    static final String RUNNING = "$bulk#running";

    private final DynamoDbClient dynamo;
    private final Tables tables;

    public BulkJobRepository(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    /**
     * A job as stored. {@code page} is the page it works on now (from 0) and {@code cursor} where that page starts
     * (null on the first); {@code sentPage} the last page whose message was sent.
     *
     * @param spec what the job was asked: action, filter or runIds, reason (as the API took it)
     * @param movedAt when the job last moved on (created, a page done, or its message sent again by the sweeper);
     *                null on a job stored before it was kept
     * @param resends how many times the sweeper has sent its page again since a page was last done
     */
    public record Job(String id, String userId, String action, JsonNode spec, String status, long page,
                      long sentPage, String cursor, Map<String, Long> counts, Instant createdAt, Instant completedAt,
                      Instant movedAt, int resends) {
        public boolean completed() {
            return "completed".equals(status);
        }
    }

    public record Result(String runId, String outcome, String runStatus, String message, Instant at) {
    }

    public record ResultPage(List<Result> results, String lastRunId) {
    }

    public static final List<String> OUTCOMES = List.of("changed", "unchanged", "conflict", "not_found");

    public void create(Job job) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("runId", s(job.id()));
        item.put(SK, s(JOB));
        item.put("userId", s(job.userId()));
        item.put("action", s(job.action()));
        item.put("spec", json(job.spec()));
        item.put("status", s(job.status()));
        item.put("page", n(0));
        item.put("sentPage", n(-1));
        OUTCOMES.forEach(o -> item.put(countAttribute(o), n(0)));
        item.put("createdAt", time(job.createdAt()));
        item.put("movedAt", time(job.createdAt()));
        Put running = Put.builder().tableName(tables.steps())
                .item(Map.of("runId", s(RUNNING), SK, s(job.id()), "userId", s(job.userId()))).build();
        dynamo.transactWriteItems(t -> t.transactItems(
                TransactWriteItem.builder().put(Put.builder().tableName(tables.steps()).item(item)
                        .conditionExpression("attribute_not_exists(runId)").build()).build(),
                TransactWriteItem.builder().put(running).build()));
    }

    /**
     * The ids of the jobs not completed yet (their {@link #RUNNING} items): for a restart whose queue did not
     * survive (the local stack), which sends each its current page's message again.
     */
    public List<String> running() {
        return Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.steps())
                .keyConditionExpression("runId = :r").expressionAttributeValues(Map.of(":r", s(RUNNING)))
                .consistentRead(true).build()).stream().map(i -> str(i, SK)).toList();
    }

    public Optional<Job> find(String jobId) {
        Map<String, AttributeValue> i = dynamo.getItem(r -> r.tableName(tables.steps())
                .key(Items.key("runId", jobId, SK, JOB)).consistentRead(true)).item();
        if (i == null || i.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Long> counts = new java.util.LinkedHashMap<>();
        OUTCOMES.forEach(o -> counts.put(o, Items.num(i, countAttribute(o))));
        return Optional.of(new Job(jobId, str(i, "userId"), str(i, "action"), json(i, "spec"), str(i, "status"),
                Items.num(i, "page"), Items.num(i, "sentPage"), str(i, "cursor"), counts, time(i, "createdAt"),
                time(i, "completedAt"), time(i, "movedAt"), (int) Items.num(i, "resends")));
    }

    /** The results already recorded for these runs, by run id. */
    public Map<String, Result> results(String jobId, List<String> runIds) {
        Map<String, Result> found = new HashMap<>();
        if (runIds.isEmpty()) {
            return found;
        }
        var keys = runIds.stream().map(id -> Items.key("runId", jobId, SK, RESULT + id)).toList();
        Map<String, KeysAndAttributes> request = Map.of(tables.steps(),
                KeysAndAttributes.builder().keys(keys).consistentRead(true).build());
        while (request != null && !request.isEmpty()) {
            Map<String, KeysAndAttributes> asked = request;
            var response = dynamo.batchGetItem(b -> b.requestItems(asked));
            response.responses().getOrDefault(tables.steps(), List.of()).forEach(i -> {
                Result r = result(i);
                found.put(r.runId(), r);
            });
            request = response.hasUnprocessedKeys() && !response.unprocessedKeys().isEmpty() ? response.unprocessedKeys() : null;
        }
        return found;
    }

    /**
     * Records what the job did to a run, and counts it on the job, both or neither; a run's result is recorded
     * once however often its page is handled.
     *
     * @return false when the run already had its result (nothing written)
     */
    public boolean record(String jobId, Result r) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("runId", s(jobId));
        item.put(SK, s(RESULT + r.runId()));
        item.put("targetRunId", s(r.runId()));
        item.put("outcome", s(r.outcome()));
        item.put("runStatus", s(r.runStatus()));
        item.put("message", s(r.message()));
        item.put("at", time(r.at()));
        Put put = Put.builder().tableName(tables.steps()).item(item).conditionExpression("attribute_not_exists(runId)").build();
        Update count = Update.builder().tableName(tables.steps()).key(Items.key("runId", jobId, SK, JOB))
                .updateExpression("ADD #c :one").conditionExpression("attribute_exists(runId)")
                .expressionAttributeNames(Map.of("#c", countAttribute(r.outcome())))
                .expressionAttributeValues(Map.of(":one", n(1))).build();
        try {
            dynamo.transactWriteItems(t -> t.transactItems(TransactWriteItem.builder().put(put).build(),
                    TransactWriteItem.builder().update(count).build()));
            return true;
        } catch (TransactionCanceledException e) {
            if (!e.cancellationReasons().isEmpty() && "ConditionalCheckFailed".equals(e.cancellationReasons().get(0).code())) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Moves the job from page {@code from} to the next, starting at {@code nextCursor}; null: that was the last
     * page, and the job is completed. Only from the page it is at: of two handlers of one page, one moves it.
     *
     * @return false when the job was no longer at page {@code from}
     */
    public boolean advance(String jobId, long from, String nextCursor, Instant now) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":from", n(from));
        values.put(":next", n(from + 1));
        values.put(":now", time(now));
        Map<String, String> names = new HashMap<>();
        names.put("#cursor", "cursor");
        names.put("#page", "page");
        String update;
        if (nextCursor == null) {
            update = "SET #page = :next, #status = :done, completedAt = :now, movedAt = :now REMOVE #cursor, resends";
            names.put("#status", "status");
            values.put(":done", s("completed"));
        } else {
            update = "SET #page = :next, #cursor = :cursor, movedAt = :now REMOVE resends";
            values.put(":cursor", s(nextCursor));
        }
        Update move = Update.builder().tableName(tables.steps()).key(Items.key("runId", jobId, SK, JOB))
                .updateExpression(update).conditionExpression("#page = :from").expressionAttributeNames(names)
                .expressionAttributeValues(values).build();
        if (nextCursor != null) {
            try {
                dynamo.updateItem(r -> r.tableName(move.tableName()).key(move.key()).updateExpression(move.updateExpression())
                        .conditionExpression(move.conditionExpression()).expressionAttributeNames(move.expressionAttributeNames())
                        .expressionAttributeValues(move.expressionAttributeValues()));
                return true;
            } catch (ConditionalCheckFailedException e) {
                return false;
            }
        }
        try {
            dynamo.transactWriteItems(t -> t.transactItems(TransactWriteItem.builder().update(move).build(),
                    TransactWriteItem.builder().delete(Delete.builder().tableName(tables.steps())
                            .key(Items.key("runId", RUNNING, SK, jobId)).build()).build()));
            return true;
        } catch (TransactionCanceledException e) {
            if (!e.cancellationReasons().isEmpty() && "ConditionalCheckFailed".equals(e.cancellationReasons().get(0).code())) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Takes a resend of a job that has not moved since {@code movedAt} (as read; null: never noted): notes it as
     * moved now, if nothing moved it meanwhile, so of two sweepers one sends, and the next resend waits again.
     *
     * @return false when the job moved meanwhile (or is gone): nothing to send
     */
    public boolean markResent(String jobId, Instant movedAt, Instant now) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":now", time(now));
        values.put(":running", s("running"));
        values.put(":one", n(1));
        String condition = "#status = :running AND ";
        if (movedAt == null) {
            condition += "attribute_not_exists(movedAt)";
        } else {
            condition += "movedAt = :read";
            values.put(":read", time(movedAt));
        }
        String expected = condition;
        try {
            dynamo.updateItem(r -> r.tableName(tables.steps()).key(Items.key("runId", jobId, SK, JOB))
                    .updateExpression("SET movedAt = :now ADD resends :one").conditionExpression(expected)
                    .expressionAttributeNames(Map.of("#status", "status")).expressionAttributeValues(values));
            return true;
        } catch (ConditionalCheckFailedException moved) {
            return false;
        }
    }

    /** Notes that the message for {@code page} was sent (a message redelivered after a crash sends it otherwise). */
    public void sent(String jobId, long page) {
        try {
            dynamo.updateItem(r -> r.tableName(tables.steps()).key(Items.key("runId", jobId, SK, JOB))
                    .updateExpression("SET sentPage = :p").conditionExpression("sentPage < :p")
                    .expressionAttributeValues(Map.of(":p", n(page))));
        } catch (ConditionalCheckFailedException alreadyNoted) {
            // another handler noted it (or a later page's)
        }
    }

    /** Up to {@code limit} of the job's results in run id order, after run {@code afterRunId} (null: from the first). */
    public ResultPage results(String jobId, String afterRunId, int limit) {
        QueryRequest.Builder q = QueryRequest.builder().tableName(tables.steps())
                .keyConditionExpression("runId = :j AND begins_with(stepId, :res)")
                .expressionAttributeValues(Map.of(":j", s(jobId), ":res", s(RESULT))).limit(limit).consistentRead(true);
        if (afterRunId != null) {
            q.exclusiveStartKey(Items.key("runId", jobId, SK, RESULT + afterRunId));
        }
        QueryResponse response = dynamo.query(q.build());
        List<Result> results = response.items().stream().map(BulkJobRepository::result).toList();
        boolean more = response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty();
        return new ResultPage(results, more && !results.isEmpty() ? results.get(results.size() - 1).runId() : null);
    }

    private static Result result(Map<String, AttributeValue> i) {
        return new Result(str(i, "targetRunId"), str(i, "outcome"), str(i, "runStatus"), str(i, "message"), time(i, "at"));
    }

    private static String countAttribute(String outcome) {
        return "count_" + outcome;
    }
}
