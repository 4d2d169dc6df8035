package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/**
 * {@code GET .../runs/{runId}/timeline?limit=&cursor=}: the run, its trigger, a page of its steps and audit events,
 * and the whole summary; {@code nextCursor} pages on.
 */
public final class GetTimelineHandler extends ApiFunction {
    public GetTimelineHandler() {
        this(Engine.shared());
    }

    public GetTimelineHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.timeline(engine.runService.timeline(r.userId(), r.path("metronomeId"), r.path("runId"),
                r.intQuery("limit"), r.query("cursor"))));
    }
}
