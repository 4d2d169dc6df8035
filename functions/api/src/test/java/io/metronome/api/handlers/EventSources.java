package io.metronome.api.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.launchdarkly.eventsource.CommentEvent;
import com.launchdarkly.eventsource.ConnectStrategy;
import com.launchdarkly.eventsource.ErrorStrategy;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.MessageEvent;
import com.launchdarkly.eventsource.RetryDelayStrategy;
import com.launchdarkly.eventsource.StreamClosedByServerException;
import com.launchdarkly.eventsource.StreamEvent;
import com.launchdarkly.eventsource.StreamException;
import com.launchdarkly.eventsource.StreamHttpErrorException;
import com.launchdarkly.logging.LDLogger;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A real Server-Sent Events client (LaunchDarkly's EventSource) reading what the events handler answers, as
 * API Gateway hands it over: each connection is one invocation of the handler with a payload 2.0 event, whose
 * {@code Last-Event-ID} header is what the client sends on reconnecting, and the stream it reads is the
 * response's body. The client parses the stream, keeps the last id, honours {@code retry:} and reconnects.
 */
final class EventSources {
    static final URI ORIGIN = URI.create("https://abcdef1234.execute-api.us-east-1.amazonaws.com");

    /** One connection: the Last-Event-ID it was opened with, and the handler's response. */
    record Call(String lastEventId, APIGatewayV2HTTPResponse response) {
    }

    /** What one response says, as the client parsed it. */
    record Parsed(List<MessageEvent> messages, List<String> comments, long retryMs) {
        List<String> ids() {
            return messages.stream().filter(m -> !m.getEventName().equals("end")).map(MessageEvent::getLastEventId).toList();
        }
    }

    private EventSources() {
    }

    /**
     * A source whose connections go to the handler: {@code request} builds the event from the last event id (null
     * on the first connection). The server's retry is taken as it is (no backoff, no jitter).
     */
    static EventSource following(Function<String, APIGatewayV2HTTPEvent> request, GetRunEventsHandler handler, List<Call> calls) {
        ConnectStrategy connect = new ConnectStrategy() {
            @Override
            public Client createClient(LDLogger logger) {
                return new Client() {
                    @Override
                    public Result connect(String lastEventId) throws StreamException {
                        APIGatewayV2HTTPResponse r = handler.handleRequest(request.apply(lastEventId), null);
                        synchronized (calls) {
                            calls.add(new Call(lastEventId, r));
                        }
                        if (r.getStatusCode() != 200 || !r.getHeaders().get("Content-Type").startsWith("text/event-stream")) {
                            throw new StreamHttpErrorException(r.getStatusCode()); // EventSource's rule: fail the connection
                        }
                        return new Result(new ByteArrayInputStream(r.getBody().getBytes(StandardCharsets.UTF_8)), ORIGIN, null);
                    }

                    @Override
                    public boolean awaitClosed(long timeoutMillis) {
                        return true;
                    }

                    @Override
                    public URI getOrigin() {
                        return ORIGIN;
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        return new EventSource.Builder(connect).errorStrategy(ErrorStrategy.alwaysContinue())
                .retryDelayStrategy(asTheServerSays()).build();
    }

    /** One response's body, read by the client until the stream ends. */
    static Parsed parse(String body) throws StreamException {
        List<Call> none = new ArrayList<>();
        APIGatewayV2HTTPResponse r = APIGatewayV2HTTPResponse.builder().withStatusCode(200)
                .withHeaders(Map.of("Content-Type", "text/event-stream")).withBody(body).build();
        ConnectStrategy once = new ConnectStrategy() {
            @Override
            public Client createClient(LDLogger logger) {
                return new Client() {
                    @Override
                    public Result connect(String lastEventId) {
                        return new Result(new ByteArrayInputStream(r.getBody().getBytes(StandardCharsets.UTF_8)), ORIGIN, null);
                    }

                    @Override
                    public boolean awaitClosed(long timeoutMillis) {
                        return true;
                    }

                    @Override
                    public URI getOrigin() {
                        return ORIGIN;
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        try (EventSource source = new EventSource.Builder(once).errorStrategy(ErrorStrategy.alwaysThrow()).build()) {
            return readOneResponse(source);
        }
    }

    /** Events until the server closes the stream (with {@link ErrorStrategy#alwaysThrow()}). */
    static Parsed readOneResponse(EventSource source) throws StreamException {
        List<MessageEvent> messages = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        try {
            while (true) {
                StreamEvent e = source.readAnyEvent();
                if (e instanceof MessageEvent m) {
                    messages.add(m);
                } else if (e instanceof CommentEvent c) {
                    comments.add(c.getText());
                }
            }
        } catch (StreamClosedByServerException end) {
            return new Parsed(messages, comments, source.getBaseRetryDelayMillis());
        }
    }

    /** The delay the server asked for, every time. */
    static RetryDelayStrategy asTheServerSays() {
        return RetryDelayStrategy.defaultStrategy().backoffMultiplier(1).jitterMultiplier(0);
    }
}
