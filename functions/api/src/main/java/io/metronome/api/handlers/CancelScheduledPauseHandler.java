package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/**
 * {@code DELETE .../runs/{runId}/schedule-pause}: cancels what is scheduled for the run (a pause not yet taken, a
 * resume not yet made); a run with nothing scheduled is returned unchanged.
 */
public final class CancelScheduledPauseHandler extends ApiFunction {
    public CancelScheduledPauseHandler() {
        this(Engine.shared());
    }

    public CancelScheduledPauseHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(
                engine.runService.cancelSchedule(r.userId(), r.path("metronomeId"), r.path("runId")))));
    }
}
