package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

public record AuditEvent(String id, String metronomeId, String userId, String actorUserId, String runId,
                         String versionId, String action, JsonNode payload, Instant createdAt) {

    public static AuditEvent of(Run run, String actorUserId, String action, JsonNode payload, Instant now) {
        return new AuditEvent(Ids.next(Ids.AUDIT), run.metronomeId(), run.userId(), actorUserId, run.id(),
                run.versionId(), action, payload == null ? Json.object() : payload, now);
    }
}
