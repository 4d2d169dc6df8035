package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.domain.Json;
import io.metronome.engine.Engine;

/** {@code POST /v1/metronomes/{metronomeId}/webhook-secret}: a new webhook secret, shown this once; 409 without a webhook. */
public final class RotateWebhookSecretHandler extends ApiFunction {
    public RotateWebhookSecretHandler() {
        this(Engine.shared());
    }

    public RotateWebhookSecretHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected Response handle(ApiRequest r) {
        String secret = engine.metronomeService.rotateWebhookSecret(r.userId(), r.path("metronomeId"));
        return Response.ok(Views.data(Json.object().put("metronomeId", r.path("metronomeId")).put("webhookSecret", secret)));
    }
}
