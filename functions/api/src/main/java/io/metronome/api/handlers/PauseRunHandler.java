package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code POST .../runs/{runId}/pause}: paused at once; the node executing finishes, no other starts. */
public final class PauseRunHandler extends ApiFunction {
    public PauseRunHandler() {
        this(Engine.shared());
    }

    public PauseRunHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(
                engine.runService.pause(r.userId(), r.path("metronomeId"), r.path("runId"), r.body()))));
    }
}
