package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * One event of a run's stream: something a write to the run item did, as a follower of the run wants to hear it.
 * Derived from two successive versions of the run item ({@code engine.RunEvents}), so the same versions always
 * give the same events, under the same ids.
 *
 * @param fields the type's own fields (see {@link Type}); every one present, null when it has no value
 */
public record RunEvent(EventCursor cursor, Type type, String runId, String metronomeId, Instant at,
                       ObjectNode fields) {
    private static final Set<String> ENVELOPE = Set.of("id", "type", "runId", "metronomeId", "at");

    /** The event types, with the fields each carries besides the envelope (id, type, runId, metronomeId, at). */
    public enum Type {
        /** The run was created. {@code status} */
        WORKFLOW_QUEUED("workflow.queued"),
        /** A worker picked the run up. {@code status} */
        WORKFLOW_STARTED("workflow.started"),
        /** A pause was accepted; {@code inFlight}: the nodes still about to start, running or handing off. */
        WORKFLOW_PAUSING("workflow.pausing"),
        /** Nothing is in flight any more: {@code checkpoint} (first parked node, in id order) and {@code checkpoints}. */
        WORKFLOW_PAUSED("workflow.paused"),
        /** {@code status}: the status it returned to. */
        WORKFLOW_RESUMED("workflow.resumed"),
        /**
         * A failed or cancelled run was redriven: it runs again from where it stopped, and is no longer settled.
         * {@code status}, {@code redriveCount}
         */
        WORKFLOW_REDRIVEN("workflow.redriven"),
        /** A cancel was accepted; {@code inFlight}: the nodes still running (they finish, and are recorded as they end). */
        WORKFLOW_CANCELLING("workflow.cancelling"),
        /** Nothing of the run is active any more. {@code status} */
        WORKFLOW_CANCELLED("workflow.cancelled"),
        WORKFLOW_COMPLETED("workflow.completed"),
        /** {@code error}: the run's. */
        WORKFLOW_FAILED("workflow.failed"),
        /** An attempt of a node started. {@code nodeId, attempt} */
        STEP_STARTED("step.started"),
        /** {@code nodeId, attempt, runEnded} (true: it ended after its run had: its side effect happened anyway). */
        STEP_COMPLETED("step.completed"),
        /** {@code nodeId, attempt, error, runEnded}; a retry of it, if any, follows as step.retry_scheduled. */
        STEP_FAILED("step.failed"),
        /** {@code nodeId, attempt, runEnded}: the run's end stopped it before or while it waited. */
        STEP_CANCELLED("step.cancelled"),
        /** {@code nodeId, attempt} (the next one), {@code notBefore} (null: as soon as the run goes on). */
        STEP_RETRY_SCHEDULED("step.retry_scheduled"),
        /** {@code nodeId, attempt, prompt} */
        APPROVAL_REQUESTED("approval.requested"),
        /** {@code nodeId, attempt, approved, comment, actorUserId} */
        APPROVAL_DECIDED("approval.decided");

        private final String wire;

        Type(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public boolean isWorkflow() {
            return wire.startsWith("workflow.");
        }

        public static Type fromWire(String value) {
            for (Type t : values()) {
                if (t.wire.equals(value)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown event type: " + value);
        }
    }

    public String id() {
        return cursor.id();
    }

    /** The event as the stream's {@code data:} carries it: the envelope, then the type's fields. */
    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("id", id());
        o.put("type", type.wire());
        o.put("runId", runId);
        o.put("metronomeId", metronomeId);
        o.put("at", Times.format(at));
        o.setAll(fields);
        return o;
    }

    public static RunEvent fromJson(JsonNode o) {
        ObjectNode fields = Json.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!ENVELOPE.contains(e.getKey())) {
                fields.set(e.getKey(), e.getValue());
            }
        }
        return new RunEvent(EventCursor.parse(o.path("id").asText(), "id"), Type.fromWire(o.path("type").asText()),
                o.path("runId").asText(), o.path("metronomeId").asText(), Times.parse(o.path("at").asText()), fields);
    }
}
