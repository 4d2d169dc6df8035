package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException.ErrorDetail;
import io.metronome.expr.Expressions;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * What starts a metronome's runs besides the API:
 * <ul>
 *   <li>{@code {"type": "manual"}} (the default): only {@code POST .../runs};</li>
 *   <li>{@code {"type": "schedule", "expression": "cron(0 9 ? * MON-FRI *)" | "rate(5 minutes)",
 *       "timezone": "Europe/Paris", "input": {...}}};</li>
 *   <li>{@code {"type": "webhook", "filter": "<JSONata over {body, headers}>"}}: signed deliveries to
 *       {@code POST /v1/hooks/{metronomeId}};</li>
 *   <li>{@code {"type": "event", "source": "aws.s3", "detailType": "Object Created",
 *       "filter": "<JSONata over the event>"}}: EventBridge events.</li>
 * </ul>
 */
public record Trigger(Type type, Schedule schedule, JsonNode input, String filter, String source, String detailType,
                      JsonNode json) {

    public enum Type {
        MANUAL, SCHEDULE, WEBHOOK, EVENT;

        public String wire() {
            return name().toLowerCase();
        }
    }

    public static final Trigger MANUAL = new Trigger(Type.MANUAL, null, null, null, null, null,
            Json.object().put("type", "manual"));

    /** Reads a stored or submitted trigger; problems are added to {@code errors} with their paths. */
    public static Trigger parse(JsonNode json, String path, List<ErrorDetail> errors) {
        if (json == null || json.isNull() || json.isMissingNode()) {
            return MANUAL;
        }
        if (!json.isObject()) {
            errors.add(new ErrorDetail(path, "must be an object with a type"));
            return null;
        }
        String type = json.path("type").asText("");
        Set<String> allowed = switch (type) {
            case "manual" -> Set.of("type");
            case "schedule" -> Set.of("type", "expression", "timezone", "input");
            case "webhook" -> Set.of("type", "filter");
            case "event" -> Set.of("type", "source", "detailType", "filter");
            default -> null;
        };
        if (allowed == null) {
            errors.add(new ErrorDetail(path + ".type", "must be one of manual, schedule, webhook, event"));
            return null;
        }
        int before = errors.size();
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                errors.add(new ErrorDetail(path + "." + f, "unknown field for a " + type + " trigger"));
            }
        }
        Schedule schedule = null;
        String filter = text(json, "filter", path, errors, false);
        if (filter != null) {
            String problem = Expressions.syntaxError(filter);
            if (problem != null) {
                errors.add(new ErrorDetail(path + ".filter", "expression does not parse: " + problem));
            }
        }
        String source = null;
        String detailType = null;
        switch (type) {
            case "schedule" -> {
                String expression = text(json, "expression", path, errors, true);
                String zone = text(json, "timezone", path, errors, false);
                if (expression != null) {
                    try {
                        schedule = Schedule.parse(expression, zone);
                    } catch (IllegalArgumentException e) {
                        errors.add(new ErrorDetail(path + (e.getMessage().startsWith("timezone") ? ".timezone"
                                : ".expression"), e.getMessage()));
                    }
                }
            }
            case "event" -> {
                source = text(json, "source", path, errors, true);
                detailType = text(json, "detailType", path, errors, false);
            }
            default -> {
                // manual and webhook have nothing more
            }
        }
        if (errors.size() > before) {
            return null;
        }
        ObjectNode normalised = json.deepCopy();
        if (schedule != null) {
            normalised.put("timezone", schedule.zone().getId());
        }
        return new Trigger(Type.valueOf(type.toUpperCase()), schedule, json.get("input"), filter, source, detailType,
                normalised);
    }

    public static Trigger of(JsonNode stored) {
        List<ErrorDetail> errors = new ArrayList<>();
        Trigger t = parse(stored, "trigger", errors);
        if (t == null) {
            throw new IllegalStateException("a stored trigger no longer parses: " + errors);
        }
        return t;
    }

    /** Whether a filter (if any) lets the value through; a filter that fails to evaluate does not. */
    public boolean accepts(JsonNode value) {
        return filter == null || Expressions.isTruthy(Expressions.evaluate(filter, value));
    }

    private static String text(JsonNode json, String field, String path, List<ErrorDetail> errors, boolean required) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                errors.add(new ErrorDetail(path + "." + field, "required"));
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank() || v.asText().length() > 1000) {
            errors.add(new ErrorDetail(path + "." + field, "must be a non-empty string"));
            return null;
        }
        return v.asText();
    }
}
