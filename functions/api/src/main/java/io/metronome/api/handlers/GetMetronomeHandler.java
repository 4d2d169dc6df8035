package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code GET /v1/metronomes/{metronomeId}}. */
public final class GetMetronomeHandler extends ApiFunction {
    public GetMetronomeHandler() {
        this(Engine.shared());
    }

    public GetMetronomeHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.metronome(engine.metronomeService.get(r.userId(), r.path("metronomeId")))));
    }
}
