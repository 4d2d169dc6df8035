package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code GET /v1/metronomes/{metronomeId}/runs}: newest first, optionally of one status. */
public final class ListRunsHandler extends ApiFunction {
    public ListRunsHandler() {
        this(Engine.shared());
    }

    public ListRunsHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        var page = engine.runService.list(r.userId(), r.path("metronomeId"), r.query("status"), r.intQuery("limit"),
                r.query("cursor"));
        return Response.ok(Views.list(page.runs(), Views::run, page.nextCursor()));
    }
}
