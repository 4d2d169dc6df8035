package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import io.metronome.domain.Json;
import io.metronome.domain.TriggerEvent;
import io.metronome.engine.Engine;
import io.metronome.engine.Triggers;
import io.metronome.observe.Invocation;

import java.util.List;
import java.util.Map;

/**
 * The target of an EventBridge rule: offers each event to the metronomes with an event trigger on its source.
 * A redelivered event (same id) starts nothing new. Failing throws, so EventBridge retries it.
 */
public final class EventTriggerHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final Triggers triggers;

    public EventTriggerHandler() {
        this(Engine.shared());
    }

    public EventTriggerHandler(Engine engine) {
        this.triggers = engine.triggers;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        return Invocation.run(context, () -> {
            List<TriggerEvent> events = triggers.event(Json.MAPPER.valueToTree(event));
            return Map.of("triggerEvents", events.size(),
                    "runsStarted", events.stream().filter(e -> e.status().equals("matched")).count());
        });
    }
}
