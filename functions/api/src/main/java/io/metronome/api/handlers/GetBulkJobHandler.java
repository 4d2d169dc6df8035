package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.BulkViews;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code GET /v1/runs/bulk/{jobId}}: the job, its counts, and a page of its per-run results. */
public final class GetBulkJobHandler extends ApiFunction {
    public GetBulkJobHandler() {
        this(Engine.shared());
    }

    public GetBulkJobHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(BulkViews.jobWithResults(engine.bulkJobs.get(r.userId(), r.path("jobId"),
                r.intQuery("limit"), r.query("cursor")))));
    }
}
