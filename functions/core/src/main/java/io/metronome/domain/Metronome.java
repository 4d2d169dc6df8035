package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/** A workflow definition; {@link #versionId} names the current immutable {@link MetronomeVersion}. */
public record Metronome(String id, String userId, String name, String description, JsonNode trigger,
                        JsonNode definition, String versionId, int versionNumber, int maxAttempts, long timeoutMs,
                        Instant createdAt, Instant updatedAt) {
}
