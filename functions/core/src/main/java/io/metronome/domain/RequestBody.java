package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.metronome.domain.ApiException.ErrorDetail;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads a request body field by field, collecting every problem with its JSON path; {@link #check()} throws
 * one 400 naming them all. Unknown fields are refused, so a misspelt option is never silently ignored.
 */
public final class RequestBody {
    private final JsonNode body;
    private final List<ErrorDetail> errors = new ArrayList<>();

    public RequestBody(JsonNode body, Set<String> allowed) {
        this.body = body == null || body.isNull() || body.isMissingNode() ? Json.object() : body;
        if (!this.body.isObject()) {
            errors.add(new ErrorDetail("$", "the body must be a JSON object"));
            return;
        }
        for (Iterator<String> it = this.body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                errors.add(new ErrorDetail(f, "unknown field; allowed: " + String.join(", ", allowed.stream().sorted().toList())));
            }
        }
    }

    public JsonNode raw(String field) {
        JsonNode v = body.get(field);
        return v == null ? NullNode.getInstance() : v;
    }

    public String text(String field, boolean required, int maxLength) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                errors.add(new ErrorDetail(field, "required"));
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty() || v.asText().length() > maxLength) {
            errors.add(new ErrorDetail(field, "must be a string of 1 to " + maxLength + " characters"));
            return null;
        }
        return v.asText();
    }

    /** An ISO-8601 instant with its zone ({@code 2026-12-24T22:00:00Z}); null when absent or not one. */
    public java.time.Instant time(String field, boolean required) {
        String text = text(field, required, 64);
        if (text == null) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(text).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            errors.add(new ErrorDetail(field, "must be an ISO-8601 time with its zone, e.g. 2026-12-24T22:00:00Z"));
            return null;
        }
    }

    public Long integer(String field, long min, long max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        // canConvertToLong: a number past 2^63 would otherwise wrap (asLong) and pass as a small one.
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            errors.add(new ErrorDetail(field, "must be an integer from " + min + " to " + max));
            return null;
        }
        return v.asLong();
    }

    /** A number from {@code min} to {@code max}, or null when absent. */
    public Double number(String field, double min, double max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < min || v.asDouble() > max) {
            errors.add(new ErrorDetail(field, "must be a number from " + fmt(min) + " to " + fmt(max)));
            return null;
        }
        return v.asDouble();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    public Boolean bool(String field, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                errors.add(new ErrorDetail(field, "required: true or false"));
            }
            return null;
        }
        if (!v.isBoolean()) {
            errors.add(new ErrorDetail(field, "must be true or false"));
            return null;
        }
        return v.asBoolean();
    }

    public void error(String path, String message) {
        errors.add(new ErrorDetail(path, message));
    }

    public void addAll(List<ErrorDetail> more) {
        errors.addAll(more);
    }

    public void check() {
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
        }
    }
}
