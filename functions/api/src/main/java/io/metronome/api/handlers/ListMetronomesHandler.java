package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.engine.Engine;

/** {@code GET /v1/metronomes}: the caller's metronomes, newest first. */
public final class ListMetronomesHandler extends ApiFunction {
    public ListMetronomesHandler() {
        this(Engine.shared());
    }

    public ListMetronomesHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        var page = engine.metronomeService.list(r.userId(), r.intQuery("limit"), r.query("cursor"));
        return Response.ok(Views.list(page.metronomes(), Views::metronome, page.nextCursor()));
    }
}
