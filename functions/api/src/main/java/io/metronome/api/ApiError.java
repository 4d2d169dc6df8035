package io.metronome.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.Json;

/**
 * The contract's error envelope: {@code {"error": {"code", "message", "details": [{path, message}]}}}. The local
 * gateway answers its own refusals with it too.
 */
public final class ApiError {
    private ApiError() {
    }

    public static ObjectNode body(ApiException e) {
        ObjectNode root = Json.object();
        ObjectNode error = root.putObject("error");
        error.put("code", e.code());
        error.put("message", e.getMessage());
        ArrayNode details = error.putArray("details");
        e.details().forEach(d -> details.addObject().put("path", d.path()).put("message", d.message()));
        return root;
    }

    public static ObjectNode internal(String requestId) {
        ObjectNode root = Json.object();
        ObjectNode error = root.putObject("error");
        error.put("code", "internal");
        error.put("message", "internal error; quote request id " + requestId + " when reporting it");
        error.putArray("details");
        error.put("requestId", requestId);
        return root;
    }
}
