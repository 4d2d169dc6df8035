package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/** One saved definition of a metronome. Never changes once written, so workers cache it freely. */
public record MetronomeVersion(String id, String metronomeId, int number, JsonNode definitionJson,
                               int maxAttempts, long timeoutMs, Instant createdAt) {

    public Definition definition() {
        return DefinitionParser.parse(definitionJson, "definition");
    }
}
