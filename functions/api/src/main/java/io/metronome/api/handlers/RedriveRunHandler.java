package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code POST .../runs/{runId}/redrive}: a failed or cancelled run goes on from where it stopped; 409 otherwise. */
public final class RedriveRunHandler extends ApiFunction {
    public RedriveRunHandler() {
        this(Engine.shared());
    }

    public RedriveRunHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(
                engine.runService.redrive(r.userId(), r.path("metronomeId"), r.path("runId"), r.body()))));
    }
}
