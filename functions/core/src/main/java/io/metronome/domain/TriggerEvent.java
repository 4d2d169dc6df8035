package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/** Why a run started (or why an incoming event did not start one). */
public record TriggerEvent(String id, String metronomeId, String userId, String runId, String triggerType,
                           String status, String sourceEventId, String summary, String reason, JsonNode payload,
                           Instant createdAt) {
}
