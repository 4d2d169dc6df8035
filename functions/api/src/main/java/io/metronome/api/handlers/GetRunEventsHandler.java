package io.metronome.api.handlers;

import io.metronome.api.Accept;
import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.EventStream;
import io.metronome.domain.ApiException;
import io.metronome.domain.EventCursor;
import io.metronome.engine.Engine;
import io.metronome.engine.RunEventFeed;

import java.util.List;
import java.util.Map;

/**
 * {@code GET .../runs/{runId}/events?after=&wait=&limit=}: the run's events after {@code Last-Event-ID} (the
 * header, as an {@code EventSource} sends it when it reconnects) or {@code after} (the header wins), else from the
 * first, as {@code text/event-stream} or, for {@code Accept: application/json}, as JSON; waiting up to
 * {@code wait} seconds for the first when there is none yet.
 */
public final class GetRunEventsHandler extends ApiFunction {
    private static final List<String> OFFERED = List.of(EventStream.MEDIA_TYPE, "application/json");
    private static final Map<String, String> NOT_STORED = Map.of("Cache-Control", "no-store");

    private final RunEventFeed feed;

    public GetRunEventsHandler() {
        this(Engine.shared());
    }

    public GetRunEventsHandler(Engine engine) {
        this(engine, engine.eventFeed);
    }

    public GetRunEventsHandler(Engine engine, RunEventFeed feed) {
        super(engine);
        this.feed = feed;
    }

    @Override
    protected Response handle(ApiRequest r) {
        String type = Accept.choose(r.headers().get("accept"), OFFERED);
        if (type == null) {
            throw new ApiException(406, "not_acceptable",
                    "this route answers text/event-stream or application/json; the Accept header allows neither", List.of());
        }
        EventCursor fromQuery = EventCursor.parse(r.query("after"), "after");
        String header = r.headers().get("last-event-id");
        EventCursor after = header == null || header.isEmpty() ? fromQuery : EventCursor.parse(header, "Last-Event-ID");
        RunEventFeed.Feed f = feed.follow(r.userId(), r.path("metronomeId"), r.path("runId"), after,
                r.intQuery("limit"), r.intQuery("wait"));
        return type.equals(EventStream.MEDIA_TYPE) ? Response.text(200, EventStream.MEDIA_TYPE, EventStream.sse(f), NOT_STORED)
                : new Response(200, EventStream.json(f), NOT_STORED);
    }
}
