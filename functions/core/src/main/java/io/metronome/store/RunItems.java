package io.metronome.store;

import io.metronome.domain.NodeState;
import io.metronome.domain.Run;
import io.metronome.domain.Run.BranchDecision;
import io.metronome.domain.RunStatus;
import io.metronome.domain.StepStatus;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.metronome.store.Items.bool;
import static io.metronome.store.Items.dbl;
import static io.metronome.store.Items.json;
import static io.metronome.store.Items.n;
import static io.metronome.store.Items.num;
import static io.metronome.store.Items.s;
import static io.metronome.store.Items.str;
import static io.metronome.store.Items.time;

/**
 * The run item's layout: a run and the states of its active nodes in one item, so one conditional write covers
 * both. Nothing on it grows with the run's length: outputs, the input and the summary's lists are in
 * {@link RunData}, and final nodes leave {@code nodes}.
 */
final class RunItems {
    static final String PK = "runId";

    private RunItems() {
    }

    /** The sweep index's partitions: its writes spread over this many keys, not all on one. */
    static final int SWEEP_SHARDS = 16;

    /** The partition of the sweep index a run is in, fixed by its id. */
    static String sweepShard(String runId) {
        return String.format("%02d", Math.floorMod(runId.hashCode(), SWEEP_SHARDS));
    }

    static String statusKey(String metronomeId, RunStatus status) {
        return metronomeId + "#" + status.wire();
    }

    static Map<String, AttributeValue> toItem(Run r) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(r.id()));
        m.put("metronomeId", s(r.metronomeId()));
        m.put("metronomeStatus", s(statusKey(r.metronomeId(), r.status())));
        m.put("userId", s(r.userId()));
        m.put("triggerType", s(r.triggerType()));
        m.put("versionId", s(r.versionId()));
        m.put("triggerEventId", s(r.triggerEventId()));
        m.put("idempotencyKey", s(r.idempotencyKey()));
        m.put("status", s(r.status().wire()));
        m.put("output", json(r.output()));
        m.put("error", s(r.error()));
        m.put("startedAt", time(r.startedAt()));
        m.put("queuedAt", time(r.queuedAt()));
        m.put("nextAttemptAt", time(r.nextAttemptAt()));
        m.put("lockedAt", time(r.lockedAt()));
        m.put("lockedBy", s(r.lockedBy()));
        m.put("attemptCount", n(r.attemptCount()));
        m.put("maxAttempts", n(r.maxAttempts()));
        m.put("timeoutMs", n(r.timeoutMs()));
        m.put("attachedProjectId", s(r.attachedProjectId()));
        m.put("attachedTicketId", s(r.attachedTicketId()));
        m.put("completedAt", time(r.completedAt()));
        m.put("createdAt", time(r.createdAt()));
        m.put("updatedAt", time(r.updatedAt()));
        m.put("resumeTo", r.resumeTo() == null ? Items.NULL : s(r.resumeTo().wire()));
        m.put("deadlineAt", time(r.deadlineAt()));
        m.put("rev", n(r.rev()));
        Map<String, AttributeValue> nodes = new HashMap<>();
        r.nodes().forEach((id, ns) -> nodes.put(id, nodeToAttr(ns)));
        m.put("nodes", AttributeValue.fromM(nodes));
        Run.Summary sum = r.summary();
        m.put("stepCount", n(sum.stepCount()));
        Map<String, AttributeValue> counts = new HashMap<>();
        for (StepStatus st : StepStatus.values()) {
            counts.put(st.wire(), n(sum.statusCounts().getOrDefault(st, 0)));
        }
        m.put("statusCounts", AttributeValue.fromM(counts));
        m.put("totalDurationMs", n(sum.totalDurationMs()));
        m.put("totalAttempts", n(sum.totalAttempts()));
        m.put("lastNodeId", s(r.lastNodeId()));
        m.put("pauseSettled", bool(r.pauseSettled()));
        if (r.closed()) {
            m.put("closed", bool(true)); // absent until then: closing requires it absent
        }
        if (!r.ended().isEmpty()) {
            Map<String, AttributeValue> ended = new HashMap<>();
            r.ended().forEach((id, e) -> {
                Map<String, AttributeValue> v = new HashMap<>();
                v.put("st", s(e.status().wire()));
                v.put("at", n(e.attempt()));
                if (e.error() != null) {
                    v.put("err", s(e.error()));
                }
                ended.put(id, AttributeValue.fromM(v));
            });
            m.put("ended", AttributeValue.fromM(ended));
        }
        putControls(m, r.controls(), r.pause());
        if (r.lineage().redriveCount() > 0) {
            m.put("redriveCount", n(r.lineage().redriveCount()));
        }
        m.put("rerunOf", s(r.lineage().rerunOf()));
        // Absent rather than null, so that every write to the run item costs as little as it can; the deadline
        // stays, null or not, because the claim's condition tests its type.
        m.entrySet().removeIf(e -> Boolean.TRUE.equals(e.getValue().nul()) && !e.getKey().equals("deadlineAt"));
        m.put("llmInferenceCt", n(sum.llmInferenceCt()));
        m.put("resourcesCt", n(sum.resourcesCt()));
        m.put("auditEventCount", n(sum.auditEventCount()));
        return m;
    }

    static Run fromItem(Map<String, AttributeValue> m) {
        Map<String, NodeState> nodes = new LinkedHashMap<>();
        AttributeValue nodesAttr = m.get("nodes");
        if (nodesAttr != null && nodesAttr.hasM()) {
            nodesAttr.m().forEach((id, v) -> nodes.put(id, nodeFromAttr(id, v.m())));
        }
        Map<StepStatus, Integer> counts = new EnumMap<>(StepStatus.class);
        AttributeValue countsAttr = m.get("statusCounts");
        if (countsAttr != null && countsAttr.hasM()) {
            countsAttr.m().forEach((k, v) -> counts.put(StepStatus.fromWire(k), (int) Double.parseDouble(v.n())));
        }
        String resumeTo = str(m, "resumeTo");
        return new Run(str(m, PK), str(m, "metronomeId"), str(m, "userId"), str(m, "triggerType"),
                str(m, "versionId"), str(m, "triggerEventId"), str(m, "idempotencyKey"),
                RunStatus.fromWire(str(m, "status")), null, json(m, "output"), str(m, "error"),
                time(m, "startedAt"), time(m, "queuedAt"), time(m, "nextAttemptAt"), time(m, "lockedAt"),
                str(m, "lockedBy"), (int) num(m, "attemptCount"), (int) num(m, "maxAttempts"), num(m, "timeoutMs"),
                str(m, "attachedProjectId"), str(m, "attachedTicketId"), time(m, "completedAt"),
                time(m, "createdAt"), time(m, "updatedAt"), resumeTo == null ? null : RunStatus.fromWire(resumeTo),
                time(m, "deadlineAt"), num(m, "rev"), nodes,
                new Run.Summary((int) num(m, "stepCount"), counts, num(m, "totalDurationMs"),
                        (int) num(m, "totalAttempts"), List.of(), List.of(), dbl(m, "llmInferenceCt"),
                        dbl(m, "resourcesCt"), (int) num(m, "auditEventCount")), str(m, "lastNodeId"), bool(m, "pauseSettled"),
                bool(m, "closed"), ended(m), controls(m), pause(m),
                new Run.Lineage((int) num(m, "redriveCount"), str(m, "rerunOf")));
    }

    /**
     * The run's controls and pause accounting: {@code pauseBefore} a map of node ids (so that a claim's condition
     * can test one id), {@code budgetCt}, {@code timeoutPolicy}; {@code pausedAt}, {@code pausedMs} and
     * {@code pauseCause}. Absent when unset, as most runs have none.
     */
    private static void putControls(Map<String, AttributeValue> m, Run.Controls c, Run.Pause p) {
        if (!c.pauseBefore().isEmpty()) {
            Map<String, AttributeValue> ids = new HashMap<>();
            c.pauseBefore().forEach(id -> ids.put(id, bool(true)));
            m.put("pauseBefore", AttributeValue.fromM(ids));
        }
        if (c.budgetCt() != null) {
            m.put("budgetCt", n(c.budgetCt()));
        }
        if (c.timeoutPolicy() != Run.TimeoutPolicy.WALL_CLOCK) {
            m.put("timeoutPolicy", s(c.timeoutPolicy().wire()));
        }
        m.put("pausedAt", time(p.since()));
        if (p.pausedMs() != 0) {
            m.put("pausedMs", n(p.pausedMs()));
        }
        m.put("pauseCause", json(p.cause()));
        Run.Schedule schedule = p.schedule();
        if (schedule != null) {
            m.put("pauseAt", time(schedule.pauseAt()));
            m.put("resumeAt", time(schedule.resumeAt()));
            m.put("scheduledBy", json(scheduledBy(schedule)));
        }
    }

    /** Who asked for a schedule, when and why: kept beside its two times. */
    static com.fasterxml.jackson.databind.JsonNode scheduledBy(Run.Schedule s) {
        com.fasterxml.jackson.databind.node.ObjectNode by = io.metronome.domain.Json.object();
        by.put("reason", s.reason());
        by.put("requestedBy", s.requestedBy());
        by.put("requestedAt", io.metronome.domain.Times.format(s.requestedAt()));
        return by;
    }

    private static Run.Controls controls(Map<String, AttributeValue> m) {
        AttributeValue ids = m.get("pauseBefore");
        List<String> pauseBefore = ids != null && ids.hasM() ? new ArrayList<>(ids.m().keySet()) : List.of();
        AttributeValue budget = m.get("budgetCt");
        String policy = str(m, "timeoutPolicy");
        return new Run.Controls(pauseBefore, budget == null || budget.n() == null ? null : Double.parseDouble(budget.n()),
                policy == null ? Run.TimeoutPolicy.WALL_CLOCK : Run.TimeoutPolicy.fromWire(policy));
    }

    private static Run.Pause pause(Map<String, AttributeValue> m) {
        com.fasterxml.jackson.databind.JsonNode cause = json(m, "pauseCause");
        return new Run.Pause(time(m, "pausedAt"), num(m, "pausedMs"), cause == null || cause.isNull() ? null : cause,
                schedule(m));
    }

    /** The scheduled pause and resume ({@link RunWrite#schedule}); null when neither is set. */
    private static Run.Schedule schedule(Map<String, AttributeValue> m) {
        java.time.Instant pauseAt = time(m, "pauseAt");
        java.time.Instant resumeAt = time(m, "resumeAt");
        if (pauseAt == null && resumeAt == null) {
            return null;
        }
        com.fasterxml.jackson.databind.JsonNode by = json(m, "scheduledBy");
        by = by == null ? io.metronome.domain.Json.object() : by;
        return new Run.Schedule(pauseAt, resumeAt, by.path("reason").asText(null), by.path("requestedBy").asText(null),
                io.metronome.domain.Times.parse(by.path("requestedAt").asText(null)));
    }

    /** The steps the write that left this version ended ({@link RunWrite}: present on that version only). */
    private static Map<String, Run.EndedStep> ended(Map<String, AttributeValue> m) {
        AttributeValue attr = m.get("ended");
        if (attr == null || !attr.hasM()) {
            return Map.of();
        }
        Map<String, Run.EndedStep> out = new java.util.TreeMap<>();
        attr.m().forEach((id, v) -> out.put(id, new Run.EndedStep((int) num(v.m(), "at"),
                StepStatus.fromWire(str(v.m(), "st")), str(v.m(), "err"))));
        return out;
    }

    static AttributeValue nodeToAttr(NodeState s) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("ph", s(s.phase().name()));
        m.put("at", n(s.attempt()));
        m.put("sid", s(s.stepId()));
        m.put("rv", n(s.rev()));
        m.put("lb", s(s.lockedBy()));
        m.put("lu", time(s.leaseUntil()));
        m.put("qa", time(s.queuedAt()));
        m.put("sa", time(s.startedAt()));
        m.put("ca", time(s.completedAt()));
        m.put("err", s(s.error()));
        m.put("due", time(s.dueAt()));
        m.put("nb", time(s.notBefore()));
        m.put("dec", json(s.decision()));
        m.put("meta", json(s.metadata()));
        m.put("pg", json(s.progress()));
        m.values().removeIf(v -> Boolean.TRUE.equals(v.nul())); // absent, not null: the run item stays small
        return AttributeValue.fromM(m);
    }

    static NodeState nodeFromAttr(String id, Map<String, AttributeValue> m) {
        return new NodeState(id, NodeState.Phase.valueOf(str(m, "ph")), (int) num(m, "at"), str(m, "sid"),
                num(m, "rv"), str(m, "lb"), time(m, "lu"), time(m, "qa"), time(m, "sa"), time(m, "ca"),
                null, str(m, "err"), time(m, "due"), time(m, "nb"), json(m, "dec"), json(m, "meta"), present(json(m, "pg")), null);
    }

    private static com.fasterxml.jackson.databind.JsonNode present(com.fasterxml.jackson.databind.JsonNode v) {
        return v == null || v.isNull() ? null : v;
    }

    static AttributeValue decisionToAttr(BranchDecision d) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("nodeId", s(d.nodeId()));
        m.put("branchId", s(d.branchId()));
        m.put("branchLabel", s(d.branchLabel()));
        m.put("matched", bool(d.matched()));
        m.put("reason", s(d.reason()));
        m.put("selectedEdgeId", s(d.selectedEdgeId()));
        return AttributeValue.fromM(m);
    }

    static BranchDecision decisionFromAttr(Map<String, AttributeValue> m) {
        return new BranchDecision(str(m, "nodeId"), str(m, "branchId"), str(m, "branchLabel"), bool(m, "matched"),
                str(m, "reason"), str(m, "selectedEdgeId"));
    }
}
