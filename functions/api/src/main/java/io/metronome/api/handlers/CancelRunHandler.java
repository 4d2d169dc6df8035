package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code POST .../runs/{runId}/cancel}: cancelled at once; steps not yet run are recorded cancelled. */
public final class CancelRunHandler extends ApiFunction {
    public CancelRunHandler() {
        this(Engine.shared());
    }

    public CancelRunHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(
                engine.runService.cancel(r.userId(), r.path("metronomeId"), r.path("runId"), r.body()))));
    }
}
