package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.Times;

import java.time.Instant;

/**
 * What travels on the node queue: ids only, never payloads. {@code notBefore} lets a wait longer than SQS's
 * 15-minute delay cap hop through several messages.
 *
 * @param kind NODE to run or wake a node, DEADLINE to check the run's timeout, STOP to stop the work a cancelled
 *             node started elsewhere (its step {@code stepId} says what), CLOSE to record a cancelled map's
 *             children that never started, from index {@code attempt} on, SCHEDULE to take the run's scheduled
 *             pause or resume ({@link PauseSchedule}) due at {@code notBefore}
 */
public record NodeMessage(Kind kind, String runId, String nodeId, int attempt, Instant notBefore, String stepId) {
    public enum Kind { NODE, DEADLINE, STOP, CLOSE, SCHEDULE }

    public static NodeMessage node(String runId, String nodeId, int attempt, Instant notBefore) {
        return new NodeMessage(Kind.NODE, runId, nodeId, attempt, notBefore, null);
    }

    public static NodeMessage deadline(String runId, Instant at) {
        return new NodeMessage(Kind.DEADLINE, runId, null, 0, at, null);
    }

    public static NodeMessage schedule(String runId, Instant at) {
        return new NodeMessage(Kind.SCHEDULE, runId, null, 0, at, null);
    }

    public static NodeMessage stop(String runId, String nodeId, String stepId) {
        return new NodeMessage(Kind.STOP, runId, nodeId, 0, null, stepId);
    }

    /** Records the nodes an ended run never reached as cancelled steps. */
    public static NodeMessage closeRun(String runId) {
        return new NodeMessage(Kind.CLOSE, runId, null, 0, null, null);
    }

    public static NodeMessage close(String runId, String mapId, String mapStepId, int fromIndex) {
        return new NodeMessage(Kind.CLOSE, runId, mapId, fromIndex, null, mapStepId);
    }

    public String toJson() {
        ObjectNode o = Json.object();
        o.put("kind", kind.name());
        o.put("runId", runId);
        if (nodeId != null) {
            o.put("nodeId", nodeId);
            o.put("attempt", attempt);
        }
        if (notBefore != null) {
            o.put("notBefore", Times.format(notBefore));
        }
        if (stepId != null) {
            o.put("stepId", stepId);
        }
        return o.toString();
    }

    /** @throws IllegalArgumentException for a body that is not a node message */
    public static NodeMessage fromJson(String body) {
        JsonNode o = Json.read(body);
        if (!o.isObject() || !o.path("runId").isTextual()) {
            throw new IllegalArgumentException("not a node message: " + body);
        }
        Kind kind = Kind.valueOf(o.path("kind").asText("NODE"));
        if ((kind == Kind.NODE || kind == Kind.STOP) && !o.path("nodeId").isTextual()) {
            throw new IllegalArgumentException("node message without nodeId: " + body);
        }
        String nb = o.path("notBefore").asText(null);
        return new NodeMessage(kind, o.get("runId").asText(), o.path("nodeId").asText(null),
                o.path("attempt").asInt(kind == Kind.NODE ? 1 : 0), nb == null ? null : Times.parse(nb), o.path("stepId").asText(null));
    }
}
