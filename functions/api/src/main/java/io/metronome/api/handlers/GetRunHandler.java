package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code GET /v1/metronomes/{metronomeId}/runs/{runId}}. */
public final class GetRunHandler extends ApiFunction {
    public GetRunHandler() {
        this(Engine.shared());
    }

    public GetRunHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(engine.runService.get(r.userId(), r.path("metronomeId"), r.path("runId")))));
    }
}
