package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code POST .../runs/{runId}/rerun}: a new run of the same version, with the same input or a replaced one (201). */
public final class RerunRunHandler extends ApiFunction {
    public RerunRunHandler() {
        this(Engine.shared());
    }

    public RerunRunHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        var started = engine.runService.rerun(r.userId(), r.path("metronomeId"), r.path("runId"), r.body());
        return new Response(201, Views.data(Views.run(started.run())));
    }
}
