package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.launchdarkly.eventsource.ConnectStrategy;
import com.launchdarkly.eventsource.ErrorStrategy;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.FaultEvent;
import com.launchdarkly.eventsource.MessageEvent;
import com.launchdarkly.eventsource.RetryDelayStrategy;
import com.launchdarkly.eventsource.StreamClosedByServerException;
import com.launchdarkly.eventsource.StreamEvent;
import io.metronome.domain.EventCursor;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.engine.RunEvents;
import io.metronome.store.RunEventLog;
import io.metronome.store.RunRepository;
import io.metronome.store.Tables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Following a long run over HTTP on the local stack (its gateway, the events handler, the worker's pollers), with
 * a real SSE client that is disconnected at random points (after a random number of events, and at random moments,
 * in the middle of a response or of a wait) and reconnects by itself with {@code Last-Event-ID}: the events it
 * sees are exactly the run's events in the log, each once, in order. A long-polling JSON client following from a
 * timeline's {@code lastEventId} sees exactly the events after it.
 *
 * <p>The log is filled as deployed: the local stack's stream poller feeds the runs table's stream to the
 * stream handler, which appends each write's events. The run has {@value #NODES} nodes, driven by the local
 * stack's worker pollers, several invocations at once (its steps' recorded times show it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunEventsEndToEndTest {
    private static final String KEY = "events-key-0123456789";
    private static final int BRANCHES = 8;
    private static final int CHAIN = 25;

    private static final int NODES = 1 + BRANCHES * CHAIN + 2;

    private LocalStack stack;
    private Http.As user;
    private DynamoDbClient dynamo;
    private Tables tables;

    @BeforeAll
    void start() throws Exception {
        stack = LocalStack.start(new LocalStack.Options(0, null, List.<String[]>of(new String[]{"follower", KEY}),
                Path.of("../../template.yaml")));
        user = new Http.As(new Http(stack.port()), KEY);
        dynamo = LocalClients.dynamo(stack.emulators().dynamoEndpoint(), LocalClients.plain());
        tables = Tables.fromEnvironment(stack.environment()::get);
    }

    @AfterAll
    void stop() {
        stack.close();
    }

    /** start, then {@value #BRANCHES} branches of {@value #CHAIN} nodes (a short delay every eighth), joined, end. */
    private static String flow() {
        StringBuilder nodes = new StringBuilder("{\"id\": \"start\", \"type\": \"transform\", \"config\": {\"expression\": \"1\"}}");
        StringBuilder edges = new StringBuilder();
        for (int b = 0; b < BRANCHES; b++) {
            String previous = "start";
            for (int i = 0; i < CHAIN; i++) {
                String id = "b" + b + "n" + i;
                nodes.append(i % 8 == 7
                        ? ", {\"id\": \"" + id + "\", \"type\": \"delay\", \"config\": {\"seconds\": 0.2}}"
                        : ", {\"id\": \"" + id + "\", \"type\": \"transform\", \"config\": {\"expression\": \"" + i + "\"}}");
                edges.append(edges.isEmpty() ? "" : ", ").append("{\"from\": \"").append(previous).append("\", \"to\": \"")
                        .append(id).append("\"}");
                previous = id;
            }
            edges.append(", {\"from\": \"").append(previous).append("\", \"to\": \"join\"}");
        }
        nodes.append(", {\"id\": \"join\", \"type\": \"transform\", \"config\": {\"expression\": \"nodes.start\"}}");
        nodes.append(", {\"id\": \"end\", \"type\": \"succeed\", \"config\": {\"output\": \"nodes.join\"}}");
        edges.append(", {\"from\": \"join\", \"to\": \"end\"}");
        return "{\"name\": \"wide\", \"definition\": {\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}}";
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aFollowerDisconnectedAtRandomPointsSeesEveryEventOfTheLogOnceInOrder() throws Exception {
        Random random = new Random(13);
        Http.Reply m = user.post("/v1/metronomes", flow());
        assertThat(m.status()).as(m.raw()).isEqualTo(201);
        String metronomeId = m.data().get("id").asText();
        Http.Reply started = user.post("/v1/metronomes/" + metronomeId + "/runs", "{}");
        assertThat(started.status()).as(started.raw()).isEqualTo(201);
        String runId = started.data().get("id").asText();
        String path = "/v1/metronomes/" + metronomeId + "/runs/" + runId;

        // The SSE follower, disconnected at random: each disconnection closes the client, and a new one goes on from
        // the last id seen (as a page that is reloaded does); between disconnections the client reconnects by itself
        // after each response, sending the last id it saw.
        List<MessageEvent> seen = new ArrayList<>();
        AtomicInteger disconnections = new AtomicInteger();
        AtomicInteger responses = new AtomicInteger();
        AtomicReference<EventSource> current = new AtomicReference<>();
        ScheduledExecutorService chaos = Executors.newSingleThreadScheduledExecutor();
        String timelineCursor = null;
        CompletableFuture<List<JsonNode>> longPoll = null;
        String lastId = null;
        boolean ended = false;
        try {
            disconnectNowAndThen(chaos, current, random, disconnections);
            for (int sources = 0; !ended; sources++) {
                assertThat(sources).as("clients").isLessThan(10_000);
                try (EventSource source = follower(path, lastId)) {
                    current.set(source);
                    for (StreamEvent e : source.anyEvents()) {
                        if (e instanceof FaultEvent f) {
                            if (f.getCause() instanceof StreamClosedByServerException) {
                                responses.incrementAndGet(); // the response ended: the client reconnects itself
                                continue;
                            }
                            break; // disconnected
                        }
                        if (!(e instanceof MessageEvent message)) {
                            continue;
                        }
                        if (message.getEventName().equals("end")) {
                            ended = true;
                            break;
                        }
                        seen.add(message);
                        lastId = message.getLastEventId();
                        if (random.nextInt(12) == 0) {
                            disconnections.incrementAndGet();
                            break; // within a response: what follows it in that response is never read
                        }
                        if (seen.size() == 40) {
                            // A second follower, from where a timeline read then stands, by JSON long-poll
                            Http.Reply timeline = user.get(path + "/timeline?limit=5");
                            assertThat(timeline.status()).as(timeline.raw()).isEqualTo(200);
                            timelineCursor = timeline.json().get("data").get("lastEventId").asText();
                            String from = timelineCursor;
                            longPoll = CompletableFuture.supplyAsync(() -> longPoll(path, from));
                        }
                    }
                } finally {
                    current.set(null);
                }
            }
        } finally {
            chaos.shutdownNow();
        }

        List<RunEvent> log = readAll(runId);
        assertThat(log).as("the log").isNotEmpty();
        assertThat(log.get(log.size() - 1).type()).isEqualTo(RunEvent.Type.WORKFLOW_COMPLETED);
        assertThat(log.get(0).id()).as("the log, filled by the local stack's stream handler, from the run's creation")
                .isEqualTo("1.0");
        assertThat(seen).extracting(MessageEvent::getLastEventId).as("every event of the log, once, in order")
                .isEqualTo(log.stream().map(RunEvent::id).toList());
        for (int i = 0; i < seen.size(); i++) {
            assertThat(seen.get(i).getEventName()).isEqualTo(log.get(i).type().wire());
            assertThat(Json.read(seen.get(i).getData())).isEqualTo(log.get(i).toJson());
        }
        assertThat(disconnections.get()).as("disconnections").isGreaterThanOrEqualTo(3);

        assertThat(longPoll).isNotNull();
        EventCursor from = EventCursor.parse(timelineCursor, "lastEventId");
        List<JsonNode> polled = longPoll.get(60, TimeUnit.SECONDS);
        assertThat(polled).as("the long-poll from the timeline's lastEventId: exactly what came after it")
                .isEqualTo(log.stream().filter(e -> e.cursor().compareTo(from) > 0).map(RunEvent::toJson).toList());
        assertThat(polled).isNotEmpty();

        // Driven by several workers at once: two steps whose recorded spans overlap were held by two invocations
        // at the same time (each invocation takes one message, so one node).
        List<JsonNode> steps = steps(path);
        assertThat(steps).as("the run's steps").hasSize(NODES);
        // The log against the run itself, not only the follower against the log: the run's three workflow events,
        // and for every step recorded, exactly one step.started and one step.completed of that attempt.
        assertThat(log).as("queued, started, completed, and two per step").hasSize(2 * NODES + 3);
        for (JsonNode step : steps) {
            String node = step.get("nodeId").asText();
            int attempt = step.get("attempt").asInt();
            for (RunEvent.Type type : List.of(RunEvent.Type.STEP_STARTED, RunEvent.Type.STEP_COMPLETED)) {
                assertThat(log).as(type.wire() + " " + node).filteredOn(e -> e.type() == type
                        && e.fields().path("nodeId").asText().equals(node)
                        && e.fields().path("attempt").asInt() == attempt).hasSize(1);
            }
        }
        int atOnce = mostAtOnce(steps.stream().filter(s -> s.get("nodeType").asText().equals("transform")).toList());
        assertThat(atOnce).as("transform steps held at the same moment").isGreaterThanOrEqualTo(2);

        System.out.printf("a run of %d nodes: %d events; the SSE follower: %d responses, %d disconnections; "
                + "at most %d steps held at once%n", NODES, log.size(), responses.get(), disconnections.get(), atOnce);
    }

    /** A client reading the run's events, from the start or after {@code lastId}. */
    private EventSource follower(String path, String lastId) {
        EventSource.Builder b = new EventSource.Builder(ConnectStrategy.http(
                URI.create("http://127.0.0.1:" + stack.port() + path + "/events?wait=5"))
                .header("Authorization", "Bearer " + KEY).header("Accept", "text/event-stream"))
                .errorStrategy(ErrorStrategy.alwaysContinue())
                .retryDelayStrategy(RetryDelayStrategy.defaultStrategy().backoffMultiplier(1).jitterMultiplier(0));
        return (lastId == null ? b : b.lastEventId(lastId)).build();
    }

    /** Disconnects the current client at random moments: mid-wait, mid-response or between responses. */
    private static void disconnectNowAndThen(ScheduledExecutorService chaos, AtomicReference<EventSource> current,
                                             Random random, AtomicInteger disconnections) {
        chaos.schedule(() -> {
            EventSource source = current.get();
            if (source != null) {
                source.close();
                disconnections.incrementAndGet();
            }
            disconnectNowAndThen(chaos, current, random, disconnections);
        }, 300 + random.nextInt(1500), TimeUnit.MILLISECONDS);
    }

    /** Every event after {@code from}, by Accept: application/json and after=nextCursor, until ended. */
    private List<JsonNode> longPoll(String path, String from) {
        List<JsonNode> out = new ArrayList<>();
        String cursor = from;
        for (int calls = 0; calls < 1000; calls++) {
            Http.Reply r = new Http(stack.port()).call("GET", path + "/events?wait=5&limit=7&after=" + cursor,
                    Map.of("Authorization", "Bearer " + KEY, "Accept", "application/json"), null);
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
            r.json().get("data").forEach(out::add);
            cursor = r.json().get("nextCursor").asText();
            if (r.json().get("ended").asBoolean()) {
                return out;
            }
        }
        throw new AssertionError("the long-poll never ended");
    }

    /** Every step of the run, page by page through the timeline. */
    private List<JsonNode> steps(String path) {
        List<JsonNode> steps = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 100; pages++) {
            Http.Reply page = user.get(path + "/timeline?limit=100" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(page.raw()).isEqualTo(200);
            page.json().at("/data/steps").forEach(steps::add);
            cursor = page.json().path("nextCursor").asText(null);
            if (cursor == null) {
                return steps;
            }
        }
        throw new AssertionError("the timeline never ended");
    }

    /**
     * The most steps whose recorded spans (startedAt to completedAt) overlap at one moment. A span that ends at the
     * instant another starts does not overlap it: recorded times are truncated alike, so spans that followed one
     * another can touch but never cross.
     */
    static int mostAtOnce(List<JsonNode> steps) {
        List<long[]> edges = new ArrayList<>(); // {moment, +1 start / -1 end}
        for (JsonNode s : steps) {
            edges.add(new long[]{Instant.parse(s.get("startedAt").asText()).toEpochMilli(), 1});
            edges.add(new long[]{Instant.parse(s.get("completedAt").asText()).toEpochMilli(), -1});
        }
        edges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1])); // ends first
        int now = 0;
        int most = 0;
        for (long[] e : edges) {
            now += (int) e[1];
            most = Math.max(most, now);
        }
        return most;
    }

    private List<RunEvent> readAll(String runId) {
        return readAll(new RunEventLog(dynamo, tables), runId);
    }

    /** Every event in the run's log, page by page. */
    static List<RunEvent> readAll(RunEventLog log, String runId) {
        List<RunEvent> all = new ArrayList<>();
        EventCursor cursor = null;
        RunEventLog.Page page;
        do {
            page = log.after(runId, cursor, 100);
            all.addAll(page.events());
            cursor = page.last(cursor);
        } while (page.more());
        return all;
    }

}
