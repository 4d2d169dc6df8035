package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code GET .../runs/{runId}/timeline}: the run, its trigger, steps, audit events and summary. */
public final class GetTimelineHandler extends ApiFunction {
    public GetTimelineHandler() {
        this(Engine.shared());
    }

    public GetTimelineHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.timeline(engine.runService.timeline(r.userId(), r.path("metronomeId"), r.path("runId"))));
    }
}
