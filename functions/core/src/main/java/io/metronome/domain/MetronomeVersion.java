package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Objects;

/**
 * One saved definition of a metronome. Never changes once written, so workers cache it freely. It holds the
 * definition parsed, once, when it is made: the repository caches versions per id, so a worker parses a
 * version's definition once per container rather than on every node message.
 */
public record MetronomeVersion(String id, String metronomeId, int number, Definition definition,
                               int maxAttempts, long timeoutMs, Instant createdAt) {

    public MetronomeVersion {
        Objects.requireNonNull(definition, "definition");
    }

    /**
     * A version of a stored (already validated) definition, parsed here.
     *
     * @throws ApiException if the JSON is not a valid definition
     */
    public MetronomeVersion(String id, String metronomeId, int number, JsonNode definitionJson, int maxAttempts,
                            long timeoutMs, Instant createdAt) {
        this(id, metronomeId, number, DefinitionParser.parse(definitionJson, "definition"), maxAttempts, timeoutMs,
                createdAt);
    }

    /** The definition's JSON, normalised as it is stored. */
    public JsonNode definitionJson() {
        return definition.source();
    }
}
