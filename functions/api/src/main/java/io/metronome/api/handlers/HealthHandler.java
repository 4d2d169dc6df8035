package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.engine.Engine;

/** {@code GET /health}: answers 200 without an API key. */
public final class HealthHandler extends ApiFunction {
    public HealthHandler() {
        this(Engine.shared());
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
