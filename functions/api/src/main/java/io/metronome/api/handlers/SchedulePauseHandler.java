package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/**
 * {@code POST .../runs/{runId}/schedule-pause}: the run pauses at {@code at}, and with {@code resumeAt} resumes
 * by itself then; 400 for a time that is not ahead, 409 if the run ended.
 */
public final class SchedulePauseHandler extends ApiFunction {
    public SchedulePauseHandler() {
        this(Engine.shared());
    }

    public SchedulePauseHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(Views.data(Views.run(
                engine.runService.schedulePause(r.userId(), r.path("metronomeId"), r.path("runId"), r.body()))));
    }
}
