package io.metronome.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;

/**
 * Where a timeline page ends, in each of its two lists: the last step and the last audit event handed out, or
 * that the list is done. Opaque to clients (base64url JSON, like every list's cursor) and held to the same rule:
 * anything this API could not have handed out for this run is a 400 naming {@code cursor}.
 *
 * @param afterStep the last step handed out, null for none yet (or when {@code stepsDone})
 */
public record TimelineCursor(String runId, String afterStep, boolean stepsDone, String afterAudit, boolean auditDone) {
    private static final String DONE = "-";
    private static final int MAX_LENGTH = 512;

    public static TimelineCursor first(String runId) {
        return new TimelineCursor(runId, null, false, null, false);
    }

    public String encode() {
        ObjectNode o = Json.object();
        o.put("r", runId);
        o.put("s", stepsDone ? DONE : afterStep == null ? "" : afterStep);
        o.put("a", auditDone ? DONE : afterAudit == null ? "" : afterAudit);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** @throws ApiException 400 naming {@code cursor} for a cursor not handed out for this run's timeline */
    public static TimelineCursor decode(String cursor, String runId) {
        if (cursor == null) {
            return first(runId);
        }
        try {
            if (cursor.length() > MAX_LENGTH) {
                throw new IllegalArgumentException();
            }
            JsonNode o = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(cursor));
            if (o == null || !o.isObject() || o.size() != 3 || !Set.of("r", "s", "a").containsAll(
                    java.util.stream.StreamSupport.stream(((Iterable<String>) o::fieldNames).spliterator(), false).toList())
                    || !runId.equals(o.path("r").textValue())) {
                throw new IllegalArgumentException();
            }
            String s = position(o.get("s"), Ids.STEP);
            String a = position(o.get("a"), Ids.AUDIT);
            if (DONE.equals(s) && DONE.equals(a)) {
                throw new IllegalArgumentException(); // a finished timeline hands out no cursor
            }
            return new TimelineCursor(runId, DONE.equals(s) || s.isEmpty() ? null : s, DONE.equals(s),
                    DONE.equals(a) || a.isEmpty() ? null : a, DONE.equals(a));
        } catch (Exception e) {
            throw ApiException.validation("cursor", "is not a cursor from this timeline");
        }
    }

    private static String position(JsonNode v, String prefix) {
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException();
        }
        String s = v.textValue();
        if (s.isEmpty() || s.equals(DONE) || Ids.isValid(prefix, s)) {
            return s;
        }
        throw new IllegalArgumentException();
    }
}
