package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.BulkViews;
import io.metronome.api.Views;
import io.metronome.engine.BulkJobs;
import io.metronome.engine.Engine;
import io.metronome.store.BulkJobRepository;

/**
 * {@code POST /v1/runs/bulk/{pause|resume|cancel}}: a dry run answers the count and the first run ids; a real
 * request starts a job (202) that works through the runs in the background, a page per message.
 */
public final class BulkRunsHandler extends ApiFunction {
    public BulkRunsHandler() {
        this(Engine.shared());
    }

    public BulkRunsHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        // One function takes the three routes; the path's last segment is the action.
        String action = r.rawPath().substring(r.rawPath().lastIndexOf('/') + 1);
        Object answer = engine.bulkJobs.submit(r.userId(), action, r.body());
        if (answer instanceof BulkJobs.DryRun dry) {
            return Response.ok(Views.data(BulkViews.dryRun(dry)));
        }
        BulkJobRepository.Job job = (BulkJobRepository.Job) answer;
        return new Response(202, Views.data(BulkViews.job(job)), java.util.Map.of("Location", "/v1/runs/bulk/" + job.id()));
    }
}
