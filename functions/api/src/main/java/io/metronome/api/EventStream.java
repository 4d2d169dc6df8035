package io.metronome.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.RunEvent;
import io.metronome.engine.RunEventFeed.Feed;

/**
 * A feed of run events as one response: a Server-Sent Events stream (WHATWG HTML, "Server-sent events"), or the
 * same as JSON for a long-polling client. The stream ends, as every response does behind API Gateway, with a
 * {@code retry:} field: an {@code EventSource} reconnects after that many milliseconds, sending the last id it
 * saw as {@code Last-Event-ID}, and so follows the run. Once the run's stream has ended, an {@code end} event
 * (without an id, so the last id stays the last event's) says so, and the retry is long: a client closes its
 * source on {@code end}.
 */
public final class EventStream {
    public static final String MEDIA_TYPE = "text/event-stream";
    /** Reconnect soon: more may have come meanwhile. */
    public static final long FOLLOW_RETRY_MS = 500;
    /** The log had more than one response carries: at once. */
    public static final long MORE_RETRY_MS = 0;
    /** Nothing more will come: a client that did not close on {@code end} asks again rarely. */
    public static final long ENDED_RETRY_MS = 600_000;
    public static final String END_EVENT = "end";

    private EventStream() {
    }

    public static long retryMs(Feed f) {
        return f.ended() ? ENDED_RETRY_MS : f.more() ? MORE_RETRY_MS : FOLLOW_RETRY_MS;
    }

    public static String sse(Feed f) {
        StringBuilder b = new StringBuilder();
        comment(b, "events of run " + f.run().id());
        b.append('\n');
        for (RunEvent e : f.events()) {
            field(b, "id", e.id());
            field(b, "event", e.type().wire());
            field(b, "data", e.toJson().toString());
            b.append('\n');
        }
        if (f.ended()) {
            field(b, "event", END_EVENT);
            field(b, "data", end(f).toString());
            b.append('\n');
        }
        field(b, "retry", Long.toString(retryMs(f)));
        b.append('\n');
        return b.toString();
    }

    /** {@code {object: "list", data: [events], nextCursor, more, ended}}: ask again with {@code after=nextCursor}. */
    public static ObjectNode json(Feed f) {
        ObjectNode root = Json.object();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        f.events().forEach(e -> data.add(e.toJson()));
        root.put("nextCursor", f.next() == null ? null : f.next().id());
        root.put("more", f.more());
        root.put("ended", f.ended());
        return root;
    }

    /** What the end event says: the run, how it ended, and the last event id its stream has. */
    private static ObjectNode end(Feed f) {
        ObjectNode o = Json.object();
        o.put("runId", f.run().id());
        o.put("status", f.run().status().wire());
        o.put("lastEventId", f.next() == null ? null : f.next().id());
        return o;
    }

    /** One field a line; a value with line breaks as several lines of the field, which a parser joins again. */
    private static void field(StringBuilder b, String name, String value) {
        for (String line : value.split("\r\n|\r|\n", -1)) {
            b.append(name).append(": ").append(line).append('\n');
        }
    }

    private static void comment(StringBuilder b, String text) {
        for (String line : text.split("\r\n|\r|\n", -1)) {
            b.append(": ").append(line).append('\n');
        }
    }
}
