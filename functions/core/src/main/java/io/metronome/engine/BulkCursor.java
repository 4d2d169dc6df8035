package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;

/**
 * Where a bulk job's next page starts, as its job item keeps it. A job by run ids moves through its list by
 * {@code offset}; a job by filter through the user's metronomes (the one it is in, {@code metronomeId}, and where
 * the list of them goes on, {@code metronomesAfter}; {@link #LAST} when no metronome follows) and through that
 * metronome's runs ({@code runsAfter}: the index's last key, encoded). Null fields: from the start.
 */
public record BulkCursor(int offset, String metronomesAfter, String metronomeId, String runsAfter) {
    public static final BulkCursor START = new BulkCursor(0, null, null, null);
    /** {@code metronomesAfter} once the metronome being read is the user's last. */
    public static final String LAST = "last";

    public String toJson() {
        ObjectNode o = Json.object();
        o.put("offset", offset);
        o.put("metronomesAfter", metronomesAfter);
        o.put("metronomeId", metronomeId);
        o.put("runsAfter", runsAfter);
        return o.toString();
    }

    public static BulkCursor fromJson(String json) {
        if (json == null) {
            return START;
        }
        JsonNode o = Json.read(json);
        return new BulkCursor(o.path("offset").asInt(0), o.path("metronomesAfter").asText(null),
                o.path("metronomeId").asText(null), o.path("runsAfter").asText(null));
    }
}
