package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code POST .../runs/{runId}/resume}: continues from where the run parked; 409 if it ended. */
public final class ResumeRunHandler extends ApiFunction {
    public ResumeRunHandler() {
        this(Engine.shared());
    }

    public ResumeRunHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(
                engine.runService.resume(r.userId(), r.path("metronomeId"), r.path("runId"), r.body()))));
    }
}
