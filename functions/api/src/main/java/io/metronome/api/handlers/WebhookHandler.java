package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.Views;
import io.metronome.domain.ApiException;
import io.metronome.engine.Engine;

import java.util.List;

/**
 * {@code POST /v1/hooks/{metronomeId}}: a webhook delivery, signed rather than authenticated by API key
 * ({@code X-Metronome-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">}, {@code X-Metronome-Timestamp},
 * optionally {@code X-Metronome-Delivery}). 202 with the trigger event; a refused signature is 401, and is
 * recorded as an {@code unauthorized} trigger event for the metronome's owner to see. A delivery on which the
 * trigger's filter exceeds its expression budget is 400 naming {@code body}, recorded as a {@code failed} event.
 */
public final class WebhookHandler extends ApiFunction {
    public WebhookHandler() {
        this(Engine.shared());
    }

    public WebhookHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected boolean authenticated() {
        return false;
    }

    @Override
    protected boolean rawBody() {
        return true;
    }

    @Override
    protected Response handle(ApiRequest r) {
        var delivery = engine.triggers.webhook(r.path("metronomeId"), r.headers(), r.rawBody());
        if (delivery.status() == 401) {
            throw new ApiException(401, "unauthorized", "delivery refused: " + delivery.event().reason()
                    + " (recorded as trigger event " + delivery.event().id() + ")", List.of());
        }
        if (delivery.status() == 400) {
            throw ApiException.validation("body", "delivery refused: " + delivery.event().reason()
                    + " (recorded as trigger event " + delivery.event().id() + ")");
        }
        return new Response(delivery.status(), Views.delivery(delivery.event()));
    }
}
