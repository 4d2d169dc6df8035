package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code POST /v1/metronomes/{metronomeId}/runs}: 201 with a new run, 200 with the run an idempotency key already started. */
public final class CreateRunHandler extends ApiFunction {
    public CreateRunHandler() {
        this(Engine.shared());
    }

    public CreateRunHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        var started = engine.runService.start(r.userId(), r.path("metronomeId"), r.body());
        return new Response(started.created() ? 201 : 200, Views.data(Views.run(started.run())));
    }
}
