package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code POST /v1/metronomes}: saves a new metronome and its first version. */
public final class CreateMetronomeHandler extends ApiFunction {
    public CreateMetronomeHandler() {
        this(Engine.shared());
    }

    public CreateMetronomeHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return new Response(201, Views.data(Views.saved(engine.metronomeService.create(r.userId(), r.body()))));
    }
}
