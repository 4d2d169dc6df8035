package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import io.metronome.domain.TriggerEvent;
import io.metronome.engine.Engine;
import io.metronome.engine.Triggers;
import io.metronome.observe.Invocation;

import java.util.List;
import java.util.Map;

/**
 * Runs every minute (an EventBridge schedule): starts the runs whose schedules are due. The tick's own time is
 * not used: what is due is read from the index of next fire times, so a late or doubled tick is harmless.
 */
public final class ScheduleTickHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final Triggers triggers;

    public ScheduleTickHandler() {
        this(Engine.shared());
    }

    public ScheduleTickHandler(Engine engine) {
        this.triggers = engine.triggers;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> scheduledEvent, Context context) {
        return Invocation.run(context, () -> {
            List<TriggerEvent> events = triggers.tick();
            return Map.of("triggerEvents", events.size(),
                    "runsStarted", events.stream().filter(e -> e.status().equals("matched")).count());
        });
    }
}
