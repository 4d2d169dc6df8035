package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.RequestBody;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Times;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A bulk request as the API takes it ({@code POST /v1/runs/bulk/{action}}): which runs (a filter, or a list of
 * run ids) and what to do to each. Pure: parsed and checked here, with every problem named in one 400.
 *
 * @param runIds null when the request names runs by {@code filter}
 */
public record BulkRequest(Action action, Filter filter, List<String> runIds, String reason, boolean dryRun) {
    /** The most run ids one request may list. */
    public static final int MAX_RUN_IDS = 1000;

    public enum Action {
        PAUSE, RESUME, CANCEL;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** @throws ApiException 404 for anything else: the path names no such route */
        public static Action fromPath(String value) {
            for (Action a : values()) {
                if (a.wire().equals(value)) {
                    return a;
                }
            }
            throw ApiException.notFound("bulk action");
        }
    }

    /**
     * Which of the user's runs; every field optional (none: all of them). {@code createdBefore} is exclusive,
     * {@code createdAfter} inclusive.
     */
    public record Filter(String metronomeId, RunStatus status, Instant createdAfter, Instant createdBefore,
                         String attachedProjectId, String attachedTicketId) {

        public boolean matches(String userId, Run run) {
            return run.userId().equals(userId)
                    && (metronomeId == null || metronomeId.equals(run.metronomeId()))
                    && (status == null || status == run.status())
                    && (createdAfter == null || !run.createdAt().isBefore(createdAfter))
                    && (createdBefore == null || run.createdAt().isBefore(createdBefore))
                    && (attachedProjectId == null || attachedProjectId.equals(run.attachedProjectId()))
                    && (attachedTicketId == null || attachedTicketId.equals(run.attachedTicketId()));
        }

        /** The same filter, ending no later than {@code at}: a job never reaches runs started after it. */
        public Filter until(Instant at) {
            return new Filter(metronomeId, status, createdAfter,
                    createdBefore == null || createdBefore.isAfter(at) ? at : createdBefore, attachedProjectId,
                    attachedTicketId);
        }

        public ObjectNode toJson() {
            ObjectNode o = Json.object();
            o.put("metronomeId", metronomeId);
            o.put("status", status == null ? null : status.wire());
            o.put("createdAfter", createdAfter == null ? null : Times.format(createdAfter));
            o.put("createdBefore", createdBefore == null ? null : Times.format(createdBefore));
            o.put("attachedProjectId", attachedProjectId);
            o.put("attachedTicketId", attachedTicketId);
            return o;
        }

        /** As stored on a job item (written by {@link #toJson}). */
        public static Filter fromJson(JsonNode o) {
            String status = o.path("status").asText(null);
            String after = o.path("createdAfter").asText(null);
            String before = o.path("createdBefore").asText(null);
            return new Filter(o.path("metronomeId").asText(null), status == null ? null : RunStatus.fromWire(status),
                    after == null ? null : Times.parse(after), before == null ? null : Times.parse(before),
                    o.path("attachedProjectId").asText(null), o.path("attachedTicketId").asText(null));
        }
    }

    /** @throws ApiException 400 naming every field that is wrong */
    public static BulkRequest parse(String action, JsonNode body) {
        Action a = Action.fromPath(action);
        RequestBody b = new RequestBody(body, Set.of("filter", "runIds", "reason", "dryRun"));
        String reason = b.text("reason", false, 1000);
        Boolean dryRun = b.bool("dryRun", false);
        JsonNode filter = b.raw("filter");
        JsonNode ids = b.raw("runIds");
        Filter f = null;
        List<String> runIds = null;
        if (filter.isNull() == ids.isNull()) {
            b.error("filter", "give either filter (an object, {} for all your runs) or runIds, not both");
        } else if (!filter.isNull()) {
            f = filter(filter, b);
        } else {
            runIds = runIds(ids, b);
        }
        b.check();
        return new BulkRequest(a, f, runIds, reason, Boolean.TRUE.equals(dryRun));
    }

    private static Filter filter(JsonNode filter, RequestBody outer) {
        if (!filter.isObject()) {
            outer.error("filter", "must be an object");
            return null;
        }
        RequestBody b = new RequestBody(filter, Set.of("metronomeId", "status", "createdAfter", "createdBefore",
                "attachedProjectId", "attachedTicketId"));
        List<ApiException.ErrorDetail> errors = new ArrayList<>();
        String metronome = b.text("metronomeId", false, 64);
        if (metronome != null && !Ids.isValid(Ids.METRONOME, metronome)) {
            errors.add(new ApiException.ErrorDetail("filter.metronomeId", "must be a metronome id (met_...)"));
        }
        String statusName = b.text("status", false, 32);
        RunStatus status = null;
        if (statusName != null) {
            try {
                status = RunStatus.fromWire(statusName);
            } catch (IllegalArgumentException e) {
                errors.add(new ApiException.ErrorDetail("filter.status", "must be one of queued, running, "
                        + "waiting_approval, paused, completed, failed, cancelled"));
            }
        }
        Instant after = time(b, "createdAfter", errors);
        Instant before = time(b, "createdBefore", errors);
        if (after != null && before != null && !after.isBefore(before)) {
            errors.add(new ApiException.ErrorDetail("filter.createdBefore", "must be later than createdAfter"));
        }
        String project = b.text("attachedProjectId", false, 256);
        String ticket = b.text("attachedTicketId", false, 256);
        try {
            b.check();
        } catch (ApiException e) {
            e.details().forEach(d -> outer.error("filter." + d.path(), d.message()));
        }
        errors.forEach(d -> outer.error(d.path(), d.message()));
        return new Filter(metronome, status, after, before, project, ticket);
    }

    private static Instant time(RequestBody b, String field, List<ApiException.ErrorDetail> errors) {
        String text = b.text(field, false, 64);
        if (text == null) {
            return null;
        }
        try {
            return Times.parse(text);
        } catch (RuntimeException e) {
            errors.add(new ApiException.ErrorDetail("filter." + field, "must be an ISO-8601 time, e.g. 2026-01-31T12:00:00Z"));
            return null;
        }
    }

    private static List<String> runIds(JsonNode ids, RequestBody b) {
        if (!ids.isArray() || ids.isEmpty() || ids.size() > MAX_RUN_IDS) {
            b.error("runIds", "must be an array of 1 to " + MAX_RUN_IDS + " run ids");
            return null;
        }
        Set<String> out = new LinkedHashSet<>(); // a run listed twice is acted on once
        for (int i = 0; i < ids.size(); i++) {
            JsonNode id = ids.get(i);
            if (!id.isTextual() || !Ids.isValid(Ids.RUN, id.asText())) {
                b.error("runIds[" + i + "]", "must be a run id (run_...)");
            } else {
                out.add(id.asText());
            }
        }
        return List.copyOf(out);
    }
}
