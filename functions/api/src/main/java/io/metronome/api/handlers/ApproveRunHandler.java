package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code POST .../runs/{runId}/approve}: decides the approval a run waits for; 409 unless waiting_approval. */
public final class ApproveRunHandler extends ApiFunction {
    public ApproveRunHandler() {
        this(Engine.shared());
    }

    public ApproveRunHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(
                engine.runService.approve(r.userId(), r.path("metronomeId"), r.path("runId"), r.body()))));
    }
}
