package io.metronome.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.AuditEvent;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.Step;
import io.metronome.domain.Times;
import io.metronome.domain.TriggerEvent;
import io.metronome.engine.RunService;

import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * The contract's JSON for each object. Every field is always present; an absent value is null. Engine-internal
 * state (node leases, revisions) never appears.
 */
public final class Views {
    private Views() {
    }

    public static ObjectNode data(JsonNode object) {
        ObjectNode root = Json.object();
        root.set("data", object);
        return root;
    }

    public static <T> ObjectNode list(List<T> items, Function<T, JsonNode> view, String nextCursor) {
        ObjectNode root = Json.object();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        items.forEach(i -> data.add(view.apply(i)));
        root.put("nextCursor", nextCursor);
        return root;
    }

    public static ObjectNode run(Run r) {
        ObjectNode o = Json.object();
        o.put("id", r.id());
        o.put("metronomeId", r.metronomeId());
        o.put("userId", r.userId());
        o.put("triggerType", r.triggerType());
        o.put("versionId", r.versionId());
        o.put("triggerEventId", r.triggerEventId());
        o.put("idempotencyKey", r.idempotencyKey());
        o.put("status", r.status().wire());
        o.set("input", r.input());
        o.set("output", r.output());
        o.put("error", r.error());
        time(o, "startedAt", r.startedAt());
        time(o, "queuedAt", r.queuedAt());
        time(o, "nextAttemptAt", r.nextAttemptAt());
        time(o, "lockedAt", r.lockedAt());
        o.put("lockedBy", r.lockedBy());
        o.put("attemptCount", r.attemptCount());
        o.put("maxAttempts", r.maxAttempts());
        if (r.timeoutMs() > 0) {
            o.put("timeoutMs", r.timeoutMs());
        } else {
            o.putNull("timeoutMs");
        }
        o.put("attachedProjectId", r.attachedProjectId());
        o.put("attachedTicketId", r.attachedTicketId());
        time(o, "completedAt", r.completedAt());
        time(o, "createdAt", r.createdAt());
        time(o, "updatedAt", r.updatedAt());
        o.put("activeNodeCount", r.activeNodeCount());
        time(o, "deadlineAt", r.deadlineAt());
        o.put("timeoutPolicy", r.controls().timeoutPolicy().wire());
        r.controls().pauseBefore().forEach(o.putArray("pauseBefore")::add);
        if (r.controls().budgetCt() == null) {
            o.putNull("budgetCt");
        } else {
            o.put("budgetCt", r.controls().budgetCt());
        }
        o.put("costCt", r.costCt());
        boolean paused = r.status() == io.metronome.domain.RunStatus.PAUSED; // an ended run's last pause is over
        time(o, "pausedAt", paused ? r.pause().since() : null);
        o.put("pausedMs", r.pause().pausedMs());
        o.set("pauseCause", paused ? r.pause().cause() : null);
        o.set("schedule", r.isTerminal() ? null : schedule(r.pause().schedule()));
        o.put("redriveCount", r.lineage().redriveCount());
        o.put("rerunOf", r.lineage().rerunOf());
        return o;
    }

    /** A run's scheduled pause and resume; JSON null when nothing is scheduled. */
    private static com.fasterxml.jackson.databind.JsonNode schedule(io.metronome.domain.Run.Schedule s) {
        if (s == null) {
            return com.fasterxml.jackson.databind.node.NullNode.getInstance();
        }
        ObjectNode o = Json.object();
        time(o, "pauseAt", s.pauseAt());
        time(o, "resumeAt", s.resumeAt());
        o.put("reason", s.reason());
        o.put("requestedBy", s.requestedBy());
        time(o, "requestedAt", s.requestedAt());
        return o;
    }

    public static ObjectNode step(Step s) {
        ObjectNode o = Json.object();
        o.put("id", s.id());
        o.put("runId", s.runId());
        o.put("metronomeId", s.metronomeId());
        o.put("nodeId", s.nodeId());
        o.put("nodeType", s.nodeType());
        o.put("status", s.status().wire());
        o.put("attempt", s.attempt());
        o.set("input", s.input());
        o.set("output", s.output());
        o.set("metadata", s.metadata() == null || s.metadata().isNull() ? Json.object() : s.metadata());
        if (s.durationMs() == null) {
            o.putNull("durationMs");
        } else {
            o.put("durationMs", s.durationMs());
        }
        o.put("error", s.error());
        time(o, "startedAt", s.startedAt());
        time(o, "completedAt", s.completedAt());
        time(o, "createdAt", s.createdAt());
        time(o, "updatedAt", s.updatedAt());
        o.put("afterRunEnded", s.afterRunEnded());
        return o;
    }

    public static ObjectNode auditEvent(AuditEvent e) {
        ObjectNode o = Json.object();
        o.put("id", e.id());
        o.put("metronomeId", e.metronomeId());
        o.put("userId", e.userId());
        o.put("actorUserId", e.actorUserId());
        o.put("runId", e.runId());
        o.put("versionId", e.versionId());
        o.put("action", e.action());
        o.set("payload", e.payload() == null || e.payload().isNull() ? Json.object() : e.payload());
        time(o, "createdAt", e.createdAt());
        return o;
    }

    public static JsonNode triggerEvent(TriggerEvent t) {
        if (t == null) {
            return Json.MAPPER.nullNode();
        }
        ObjectNode o = Json.object();
        o.put("id", t.id());
        o.put("metronomeId", t.metronomeId());
        o.put("userId", t.userId());
        o.put("runId", t.runId());
        o.put("triggerType", t.triggerType());
        o.put("status", t.status());
        o.put("sourceEventId", t.sourceEventId());
        o.put("summary", t.summary());
        o.put("reason", t.reason());
        o.set("payload", t.payload() == null || t.payload().isNull() ? Json.object() : t.payload());
        time(o, "createdAt", t.createdAt());
        return o;
    }

    /** What a webhook delivery answers: the trigger event its delivery left. */
    public static ObjectNode delivery(TriggerEvent t) {
        return data(triggerEvent(t));
    }

    public static ObjectNode metronome(Metronome m) {
        ObjectNode o = Json.object();
        o.put("id", m.id());
        o.put("userId", m.userId());
        o.put("name", m.name());
        o.put("description", m.description());
        o.set("trigger", m.trigger());
        o.set("definition", m.definition());
        o.put("versionId", m.versionId());
        o.put("versionNumber", m.versionNumber());
        o.put("maxAttempts", m.maxAttempts());
        if (m.timeoutMs() > 0) {
            o.put("timeoutMs", m.timeoutMs());
        } else {
            o.putNull("timeoutMs");
        }
        time(o, "createdAt", m.createdAt());
        time(o, "updatedAt", m.updatedAt());
        return o;
    }

    /** A metronome just saved: with its webhook secret if the save made one, the only time it is shown. */
    public static ObjectNode saved(io.metronome.engine.MetronomeService.Saved saved) {
        ObjectNode o = metronome(saved.metronome());
        if (saved.newWebhookSecret() != null) {
            o.put("webhookSecret", saved.newWebhookSecret());
        }
        return o;
    }

    public static ObjectNode timeline(RunService.Timeline t) {
        ObjectNode root = Json.object();
        root.put("object", "metronome_run_timeline");
        ObjectNode data = root.putObject("data");
        data.set("run", run(t.run()));
        data.set("triggerEvent", triggerEvent(t.triggerEvent()));
        ArrayNode steps = data.putArray("steps");
        t.steps().forEach(s -> steps.add(step(s)));
        ArrayNode events = data.putArray("auditEvents");
        t.auditEvents().forEach(e -> events.add(auditEvent(e)));
        RunService.Summary s = t.summary();
        ObjectNode summary = data.putObject("summary");
        summary.put("status", s.status());
        summary.put("stepCount", s.stepCount());
        summary.put("completedStepCount", s.completedStepCount());
        summary.put("failedStepCount", s.failedStepCount());
        summary.put("cancelledStepCount", s.cancelledStepCount());
        summary.put("pausedStepCount", s.pausedStepCount());
        ObjectNode counts = summary.putObject("statusCounts");
        s.statusCounts().forEach((status, n) -> counts.put(status.wire(), n));
        ArrayNode decisions = summary.putArray("branchDecisions");
        s.branchDecisions().forEach(d -> decisions.addObject().put("nodeId", d.nodeId()).put("branchId", d.branchId())
                .put("branchLabel", d.branchLabel()).put("matched", d.matched()).put("reason", d.reason())
                .put("selectedEdgeId", d.selectedEdgeId()));
        ArrayNode threads = summary.putArray("threadIds");
        s.threadIds().forEach(threads::add);
        summary.put("totalDurationMs", s.totalDurationMs());
        summary.put("totalAttempts", s.totalAttempts());
        ObjectNode cost = summary.putObject("cost");
        cost.put("llmInferenceCt", s.llmInferenceCt());
        cost.put("resourcesCt", s.resourcesCt());
        cost.put("totalCt", s.totalCt());
        summary.put("attachedProjectId", s.attachedProjectId());
        summary.put("attachedTicketId", s.attachedTicketId());
        summary.put("auditEventCount", s.auditEventCount());
        // Where this read of the run stands in its events: follow .../events from here to hear only what is newer.
        data.put("lastEventId", new io.metronome.domain.EventCursor(t.run().rev(), io.metronome.domain.EventCursor.MAX_INDEX).id());
        root.put("nextCursor", t.nextCursor());
        return root;
    }

    private static void time(ObjectNode o, String field, Instant value) {
        o.put(field, Times.format(value));
    }
}
