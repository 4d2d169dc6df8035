package io.metronome.store;

import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.metronome.store.Items.json;
import static io.metronome.store.Items.n;
import static io.metronome.store.Items.num;
import static io.metronome.store.Items.s;
import static io.metronome.store.Items.str;
import static io.metronome.store.Items.time;

/**
 * The steps table: one item per attempt of a node (key: runId, stepId; step ids sort by creation, so a query
 * returns a run's steps in execution order). The run item is the source of truth; a step record is written
 * from it, and each write carries the node's revision so a late or repeated write never replaces a newer one.
 */
public final class StepRepository {
    private final DynamoDbClient dynamo;
    private final Tables tables;

    public StepRepository(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    /**
     * Records a step unless a record of the same or a newer revision is already there. A record flagged
     * {@code afterRunEnded} may replace the same revision's record of the same outcome once, unflagged: the
     * attempt's outcome was recorded before its run's end was known (the step is written before the run item,
     * which then refused the write), and the retry that learnt of it adds the flag. Another outcome at that
     * revision (a takeover's verdict) is never replaced.
     */
    public boolean record(Step step) {
        boolean flagging = step.afterRunEnded() != null;
        String condition = flagging
                ? "attribute_not_exists(stepId) OR #rev < :rev OR (#rev = :rev AND #s = :s AND attribute_not_exists(afterRunEnded))"
                : "attribute_not_exists(stepId) OR #rev < :rev";
        Map<String, String> names = flagging ? Map.of("#rev", "rev", "#s", "status") : Map.of("#rev", "rev");
        Map<String, AttributeValue> values = flagging ? Map.of(":rev", n(step.rev()), ":s", s(step.status().wire()))
                : Map.of(":rev", n(step.rev()));
        try {
            dynamo.putItem(r -> r.tableName(tables.steps()).item(toItem(step))
                    .conditionExpression(condition)
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /**
     * Writes records that are new by construction (steps that never ran, under ids derived from what they are),
     * 25 a request: a repeat writes the same items again.
     */
    public void recordNew(List<Step> batch) {
        List<software.amazon.awssdk.services.dynamodb.model.WriteRequest> writes = batch.stream()
                .map(st -> software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder()
                        .putRequest(p -> p.item(toItem(st))).build()).toList();
        for (int from = 0; from < writes.size(); from += 25) {
            Map<String, List<software.amazon.awssdk.services.dynamodb.model.WriteRequest>> request =
                    Map.of(tables.steps(), writes.subList(from, Math.min(writes.size(), from + 25)));
            while (request != null && !request.isEmpty()) {
                var r = request;
                var response = dynamo.batchWriteItem(b -> b.requestItems(r));
                request = response.hasUnprocessedItems() && !response.unprocessedItems().isEmpty()
                        ? response.unprocessedItems() : null;
            }
        }
    }

    /**
     * Every step of a run without its input and output (what a count needs: node, type, status, attempt, times,
     * duration, metadata), from a query that reads only those.
     */
    public List<Step> summaries(String runId) {
        return Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.steps())
                        .keyConditionExpression("runId = :r AND begins_with(stepId, :p)")
                        .projectionExpression("stepId, nodeId, nodeType, #s, attempt, startedAt, completedAt, durationMs, metadata, rev, afterRunEnded")
                        .expressionAttributeNames(Map.of("#s", "status"))
                        .expressionAttributeValues(Map.of(":r", s(runId), ":p", s(io.metronome.domain.Ids.STEP)))
                        .consistentRead(true).build())
                .stream().map(StepRepository::fromItem).toList();
    }

    public java.util.Optional<Step> find(String runId, String stepId) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.steps())
                .key(Items.key("runId", runId, "stepId", stepId)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(fromItem(item));
    }

    /** @param lastKey where the next page starts, or null after the last */
    public record Page(List<Step> steps, Map<String, AttributeValue> lastKey) {
    }

    /** Up to {@code limit} of a run's steps in execution order, after step {@code afterStepId} (null: from the first). */
    public Page page(String runId, String afterStepId, int limit) {
        QueryRequest.Builder q = QueryRequest.builder().tableName(tables.steps())
                .keyConditionExpression("runId = :r AND begins_with(stepId, :p)")
                .expressionAttributeValues(Map.of(":r", s(runId), ":p", s(io.metronome.domain.Ids.STEP)))
                .limit(limit).consistentRead(true);
        if (afterStepId != null) {
            q.exclusiveStartKey(Items.key("runId", runId, "stepId", afterStepId));
        }
        var response = dynamo.query(q.build());
        return new Page(response.items().stream().map(StepRepository::fromItem).toList(),
                response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty() ? response.lastEvaluatedKey() : null);
    }

    public List<Step> listByRun(String runId) {
        return Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.steps())
                        .keyConditionExpression("runId = :r AND begins_with(stepId, :p)")
                        .expressionAttributeValues(Map.of(":r", s(runId), ":p", s(io.metronome.domain.Ids.STEP)))
                        .consistentRead(true).build())
                .stream().map(StepRepository::fromItem).toList();
    }

    static Map<String, AttributeValue> toItem(Step st) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("runId", s(st.runId()));
        m.put("stepId", s(st.id()));
        m.put("metronomeId", s(st.metronomeId()));
        m.put("nodeId", s(st.nodeId()));
        m.put("nodeType", s(st.nodeType()));
        m.put("status", s(st.status().wire()));
        m.put("attempt", n(st.attempt()));
        m.put("input", json(st.input()));
        m.put("output", json(st.output()));
        m.put("metadata", json(st.metadata()));
        m.put("durationMs", st.durationMs() == null ? Items.NULL : n(st.durationMs()));
        m.put("error", s(st.error()));
        m.put("startedAt", time(st.startedAt()));
        m.put("completedAt", time(st.completedAt()));
        m.put("createdAt", time(st.createdAt()));
        m.put("updatedAt", time(st.updatedAt()));
        m.put("rev", n(st.rev()));
        if (st.afterRunEnded() != null) {
            m.put("afterRunEnded", s(st.afterRunEnded()));
        }
        return m;
    }

    static Step fromItem(Map<String, AttributeValue> m) {
        AttributeValue d = m.get("durationMs");
        return new Step(str(m, "stepId"), str(m, "runId"), str(m, "metronomeId"), str(m, "nodeId"), str(m, "nodeType"),
                StepStatus.fromWire(str(m, "status")), (int) num(m, "attempt"), json(m, "input"), json(m, "output"),
                json(m, "metadata"), d == null || d.n() == null ? null : Long.parseLong(d.n()), str(m, "error"),
                time(m, "startedAt"), time(m, "completedAt"), time(m, "createdAt"), time(m, "updatedAt"),
                num(m, "rev"), str(m, "afterRunEnded"));
    }
}
