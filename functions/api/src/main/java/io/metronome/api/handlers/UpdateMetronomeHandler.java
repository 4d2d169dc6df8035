package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code PUT /v1/metronomes/{metronomeId}}: saves a new version; running runs keep theirs. */
public final class UpdateMetronomeHandler extends ApiFunction {
    public UpdateMetronomeHandler() {
        this(Engine.shared());
    }

    public UpdateMetronomeHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.saved(engine.metronomeService.update(r.userId(), r.path("metronomeId"), r.body()))));
    }
}
