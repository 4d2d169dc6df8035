package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * A workflow definition; {@link #versionId} names the current immutable {@link MetronomeVersion}.
 *
 * @param webhookSecret the HMAC key of a webhook trigger (shown to the user only when made); null otherwise
 * @param nextFireAt a schedule trigger's next fire time; null otherwise
 */
public record Metronome(String id, String userId, String name, String description, JsonNode trigger,
                        JsonNode definition, String versionId, int versionNumber, int maxAttempts, long timeoutMs,
                        Instant createdAt, Instant updatedAt, String webhookSecret, Instant nextFireAt) {

    public Trigger parsedTrigger() {
        return Trigger.of(trigger);
    }
}
