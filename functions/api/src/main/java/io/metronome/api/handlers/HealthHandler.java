package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.engine.Engine;

/** {@code GET /health}: answers 200 without an API key, and touches nothing (so builds no AWS clients). */
public final class HealthHandler extends ApiFunction {
    public HealthHandler() {
        super(null);
    }

    public HealthHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected boolean authenticated() {
        return false;
    }

    @Override
    protected Response handle(ApiRequest r) {
        return Response.ok(io.metronome.domain.Json.object().put("status", "ok"));
    }
}
