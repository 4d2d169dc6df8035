package io.metronome.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.ApiException;

import java.util.Map;

/**
 * What a handler gets: the caller, the path and query parameters, and the body already parsed as JSON (or, for
 * a handler that asks for it, the raw bytes), with header names in lower case; and the request's method (upper
 * case) and raw path, for the handler that answers requests no route takes.
 */
public record ApiRequest(String userId, Map<String, String> path, Map<String, String> query, JsonNode body,
                         String requestId, Map<String, String> headers, byte[] rawBody, String method, String rawPath) {

    public String path(String name) {
        return path.get(name);
    }

    public String query(String name) {
        return query.get(name);
    }

    /** An optional integer query parameter; anything else is a 400 naming it. */
    public Integer intQuery(String name) {
        String v = query.get(name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ApiException.validation(name, "must be an integer");
        }
    }
}
