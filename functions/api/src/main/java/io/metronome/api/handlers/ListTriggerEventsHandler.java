package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code GET /v1/metronomes/{metronomeId}/trigger-events}: every delivery and what came of it, newest first. */
public final class ListTriggerEventsHandler extends ApiFunction {
    public ListTriggerEventsHandler() {
        this(Engine.shared());
    }

    public ListTriggerEventsHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        var page = engine.triggers.list(r.userId(), r.path("metronomeId"), r.intQuery("limit"), r.query("cursor"));
        return Response.ok(Views.list(page.events(), Views::triggerEvent, page.nextCursor()));
    }
}
