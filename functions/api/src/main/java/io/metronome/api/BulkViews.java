package io.metronome.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.Times;
import io.metronome.engine.BulkJobs;
import io.metronome.store.BulkJobRepository;

/** Bulk jobs and dry runs as the API shows them (API.md, "Bulk pause, resume and cancel"). */
public final class BulkViews {
    private BulkViews() {
    }

    public static ObjectNode dryRun(BulkJobs.DryRun d) {
        ObjectNode o = Json.object();
        o.put("object", "bulk_dry_run");
        o.put("action", d.action().wire());
        o.put("count", d.count());
        o.put("countCapped", d.capped());
        d.firstRunIds().forEach(o.putArray("firstRunIds")::add);
        return o;
    }

    public static ObjectNode job(BulkJobRepository.Job j) {
        ObjectNode o = Json.object();
        o.put("id", j.id());
        o.put("object", "bulk_job");
        o.put("action", j.action());
        o.put("status", j.status());
        if (j.spec().has("filter")) {
            o.set("filter", j.spec().get("filter"));
        } else {
            o.set("runIds", j.spec().get("runIds"));
        }
        o.put("reason", j.spec().path("reason").asText(null));
        ObjectNode counts = o.putObject("counts");
        long processed = 0;
        for (String outcome : BulkJobRepository.OUTCOMES) {
            long n = j.counts().getOrDefault(outcome, 0L);
            counts.put(outcome.equals("not_found") ? "notFound" : outcome, n);
            processed += n;
        }
        o.put("processed", processed);
        o.put("createdAt", Times.format(j.createdAt()));
        o.put("completedAt", j.completedAt() == null ? null : Times.format(j.completedAt()));
        return o;
    }

    public static ObjectNode jobWithResults(BulkJobs.JobView v) {
        ObjectNode o = job(v.job());
        var results = o.putArray("results");
        v.results().forEach(r -> {
            ObjectNode e = results.addObject();
            e.put("runId", r.runId());
            e.put("outcome", r.outcome());
            e.put("runStatus", r.runStatus());
            e.put("message", r.message());
            e.put("at", Times.format(r.at()));
        });
        o.put("nextCursor", v.nextCursor());
        return o;
    }
}
