package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/**
 * {@code PUT .../runs/{runId}/breakpoints}: replaces the nodes a run that has not ended pauses before; 400 for an
 * id that is no node of its definition, 409 if the run ended.
 */
public final class SetRunBreakpointsHandler extends ApiFunction {
    public SetRunBreakpointsHandler() {
        this(Engine.shared());
    }

    public SetRunBreakpointsHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(
                engine.runService.setBreakpoints(r.userId(), r.path("metronomeId"), r.path("runId"), r.body()))));
    }
}
