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
import com.sun.net.httpserver.HttpServer;
import io.metronome.domain.EventCursor;
import io.metronome.domain.Json;
import io.metronome.domain.RunEvent;
import io.metronome.store.RunEventLog;
import io.metronome.store.Tables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An honest pause and an honest cancel, seen as a user sees them: over HTTP on the local stack, following the run
 * from its start with a real SSE client, while an http node is held mid-call by the service it calls. The pause
 * (or cancel) is answered at once, the run says it is still draining ({@code activeNodeCount}), the stream says
 * which node is in flight, and only once that node's step is recorded does the stream say the run has paused
 * (with where it parked, as audited once) or has been cancelled (the late node with its real outcome, flagged).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HonestPauseEndToEndTest {
    private static final String KEY = "pause-key-0123456789";
    private static final long AWAIT_SECONDS = 30;

    private LocalStack stack;
    private Http.As user;
    private RunEventLog log;

    @BeforeAll
    void start() throws Exception {
        stack = LocalStack.start(new LocalStack.Options(0, null, List.<String[]>of(new String[]{"pauser", KEY}),
                Path.of("../../template.yaml")));
        user = new Http.As(new Http(stack.port()), KEY);
        log = new RunEventLog(LocalClients.dynamo(stack.emulators().dynamoEndpoint(), LocalClients.plain()),
                Tables.fromEnvironment(stack.environment()::get));
    }

    @AfterAll
    void stop() {
        stack.close();
    }

    /** prepare (transform) -> call (http, to the held service) -> after (transform) -> done (succeed). */
    private String metronome(HeldService service) {
        Http.Reply m = user.post("/v1/metronomes", """
                {"name": "slow-call", "definition": {"nodes": [
                  {"id": "prepare", "type": "transform", "config": {"expression": "input.n + 1"}},
                  {"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"}},
                  {"id": "after", "type": "transform", "config": {"expression": "nodes.call.status"}},
                  {"id": "done", "type": "succeed", "config": {"output": "nodes.after"}}],
                 "edges": [{"from": "prepare", "to": "call"}, {"from": "call", "to": "after"},
                           {"from": "after", "to": "done"}]}}""".formatted(service.url("/slow")));
        assertThat(m.status()).as(m.raw()).isEqualTo(201);
        return m.data().get("id").asText();
    }

    private String startRun(String metronomeId) {
        Http.Reply r = user.post("/v1/metronomes/" + metronomeId + "/runs", "{\"input\": {\"n\": 1}}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return "/v1/metronomes/" + metronomeId + "/runs/" + r.data().get("id").asText();
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aPauseWhileAnHttpNodeRunsSaysPausedOnlyOnceThatNodeIsRecorded() throws Exception {
        try (HeldService service = new HeldService()) {
            String path = startRun(metronome(service));
            try (Follower follower = new Follower(path)) {
                // What the run's timeline and audit hold at the very moment the stream says paused, before the
                // follower reads anything further.
                CompletableFuture<JsonNode> atPaused = follower.when("workflow.paused",
                        e -> user.get(path + "/timeline").json().get("data"));

                follower.await(step("step.started", "call"));
                CountDownLatch release = service.awaitRequest();
                Http.Reply paused = user.post(path + "/pause", "{\"reason\": \"checking the supplier\"}");
                assertThat(paused.status()).as(paused.raw()).isEqualTo(200);
                assertThat(paused.data().get("status").asText()).isEqualTo("paused");

                MessageEvent pausing = follower.await(type("workflow.pausing"));
                assertThat(data(pausing).get("inFlight")).as("the node still in flight")
                        .isEqualTo(Json.read("[\"call\"]"));
                JsonNode draining = user.get(path).data();
                assertThat(draining.get("status").asText()).isEqualTo("paused");
                assertThat(draining.get("activeNodeCount").asInt()).as("still draining").isEqualTo(1);
                assertThat(follower.received()).as("received by the time the run says it is draining")
                        .extracting(MessageEvent::getEventName).doesNotContain("workflow.paused");
                assertThat(log(path)).as("the log, as the run says it is draining").extracting(RunEvent::type)
                        .doesNotContain(RunEvent.Type.WORKFLOW_PAUSED);

                release.countDown();
                MessageEvent settled = follower.await(type("workflow.paused"));
                JsonNode timeline = atPaused.get(AWAIT_SECONDS, TimeUnit.SECONDS);
                // Paused at the user's request (not at a breakpoint or the budget), parked at the node after the call.
                JsonNode checkpoint = Json.read("{\"checkpoint\": \"after\", \"checkpoints\": [\"after\"], \"reason\": \"requested\"}");
                assertThat(data(settled).get("checkpoint")).isEqualTo(checkpoint.get("checkpoint"));
                assertThat(data(settled).get("checkpoints")).isEqualTo(checkpoint.get("checkpoints"));
                assertThat(data(settled).get("reason")).isEqualTo(checkpoint.get("reason"));
                assertThat(stepOf(timeline, "call").get("status").asText())
                        .as("the http node's step, recorded when the stream says paused").isEqualTo("completed");
                assertThat(stepOf(timeline, "call").at("/output/status").asInt()).isEqualTo(200);
                assertThat(stepOf(timeline, "after").get("status").asText()).as("where it parked, not started")
                        .isEqualTo("paused");
                assertThat(stepOf(timeline, "after").path("startedAt").isNull()).isTrue();
                List<JsonNode> audited = audited(timeline, "run.paused");
                assertThat(audited).as("run.paused, audited once when the stream says paused").hasSize(1);
                assertThat(audited.get(0).get("payload")).isEqualTo(checkpoint);

                // Parked: nothing starts while paused, and nothing is active any more.
                JsonNode parked = user.get(path).data();
                assertThat(parked.get("status").asText()).isEqualTo("paused");
                assertThat(parked.get("activeNodeCount").asInt()).isZero();
                assertThat(log(path)).as("the log before the resume").noneMatch(e ->
                        e.type() == RunEvent.Type.STEP_STARTED && e.fields().path("nodeId").asText().equals("after"));
                assertThat(follower.received()).extracting(HonestPauseEndToEndTest::describe).containsExactly(
                        "workflow.queued", "workflow.started", "step.started prepare", "step.completed prepare",
                        "step.started call", "workflow.pausing", "step.completed call", "workflow.paused");

                Http.Reply resumed = user.post(path + "/resume", "{\"reason\": \"supplier answered\"}");
                assertThat(resumed.status()).as(resumed.raw()).isEqualTo(200);
                MessageEvent end = follower.awaitEnd();

                assertThat(follower.received()).extracting(HonestPauseEndToEndTest::describe).containsExactly(
                        "workflow.queued", "workflow.started", "step.started prepare", "step.completed prepare",
                        "step.started call", "workflow.pausing", "step.completed call", "workflow.paused",
                        "workflow.resumed", "step.started after", "step.completed after", "step.started done",
                        "step.completed done", "workflow.completed");
                assertOnceInOrderAsLogged(follower, path, end, "completed");
                JsonNode done = user.get(path).data();
                assertThat(done.get("status").asText()).isEqualTo("completed");
                assertThat(done.get("output").asInt()).isEqualTo(200);
                assertThat(audited(user.get(path + "/timeline").json().get("data"), "run.paused"))
                        .as("run.paused, still once").hasSize(1);
                assertThat(service.requests()).as("the http node called once").isEqualTo(1);
            }
        }
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aCancelWhileAnHttpNodeRunsSaysCancelledOnlyOnceThatNodeIsRecordedWithItsRealOutcome() throws Exception {
        try (HeldService service = new HeldService()) {
            String path = startRun(metronome(service));
            try (Follower follower = new Follower(path)) {
                CompletableFuture<JsonNode> atCancelled = follower.when("workflow.cancelled",
                        e -> user.get(path + "/timeline").json().get("data"));

                follower.await(step("step.started", "call"));
                CountDownLatch release = service.awaitRequest();
                Http.Reply cancelled = user.post(path + "/cancel", "{\"reason\": \"order withdrawn\"}");
                assertThat(cancelled.status()).as(cancelled.raw()).isEqualTo(200);
                assertThat(cancelled.data().get("status").asText()).isEqualTo("cancelled");

                MessageEvent cancelling = follower.await(type("workflow.cancelling"));
                assertThat(data(cancelling).get("inFlight")).as("the node still running")
                        .isEqualTo(Json.read("[\"call\"]"));
                JsonNode draining = user.get(path).data();
                assertThat(draining.get("status").asText()).isEqualTo("cancelled");
                assertThat(draining.get("activeNodeCount").asInt()).as("still draining").isEqualTo(1);
                assertThat(follower.received()).as("received by the time the run says it is draining")
                        .extracting(MessageEvent::getEventName).doesNotContain("workflow.cancelled");
                assertThat(log(path)).as("the log, as the run says it is draining").extracting(RunEvent::type)
                        .doesNotContain(RunEvent.Type.WORKFLOW_CANCELLED);

                release.countDown();
                MessageEvent end = follower.awaitEnd();
                JsonNode timeline = atCancelled.get(AWAIT_SECONDS, TimeUnit.SECONDS);

                List<String> seen = follower.received().stream().map(HonestPauseEndToEndTest::describe).toList();
                assertThat(seen.subList(0, 6)).containsExactly("workflow.queued", "workflow.started",
                        "step.started prepare", "step.completed prepare", "step.started call", "workflow.cancelling");
                // After the release: the late node's real outcome, then the run cancelled. The node it would have
                // led to is never reached (a run that ended takes no hand-off): recorded cancelled, with no event,
                // as any node never reached.
                assertThat(seen.subList(6, seen.size())).containsExactly("step.completed call", "workflow.cancelled");
                MessageEvent late = follower.received().stream().filter(step("step.completed", "call")).findFirst()
                        .orElseThrow();
                assertThat(data(late).get("runEnded").asBoolean()).as("flagged: it ended after its run had").isTrue();
                JsonNode call = stepOf(timeline, "call");
                assertThat(call.get("status").asText()).as("its real outcome, recorded when the stream says cancelled")
                        .isEqualTo("completed");
                assertThat(call.at("/output/status").asInt()).isEqualTo(200);
                assertThat(call.path("afterRunEnded").asText()).as("flagged on its step").isEqualTo("cancelled");
                for (String never : List.of("after", "done")) {
                    assertThat(stepOf(timeline, never).get("status").asText()).as(never + ", never run")
                            .isEqualTo("cancelled");
                    assertThat(stepOf(timeline, never).path("startedAt").isNull()).isTrue();
                }
                assertThat(audited(timeline, "run.cancelled")).as("run.cancelled, audited once").hasSize(1);
                assertOnceInOrderAsLogged(follower, path, end, "cancelled");
                assertThat(user.get(path).data().get("activeNodeCount").asInt()).isZero();
                assertThat(service.requests()).as("the http node called once").isEqualTo(1);
            }
        }
    }

    /**
     * The stream ended as the endpoint ends it, after the run's last event; every event came once, with strictly
     * increasing ids, exactly as the log holds them.
     */
    private void assertOnceInOrderAsLogged(Follower follower, String path, MessageEvent end, String status) {
        List<MessageEvent> seen = follower.received();
        JsonNode ending = data(end);
        assertThat(end.getLastEventId()).as("the end event has no id of its own")
                .isEqualTo(seen.get(seen.size() - 1).getLastEventId());
        assertThat(ending.get("status").asText()).isEqualTo(status);
        assertThat(ending.get("lastEventId").asText()).isEqualTo(seen.get(seen.size() - 1).getLastEventId());
        for (int i = 1; i < seen.size(); i++) {
            assertThat(cursor(seen.get(i))).as("ids strictly increasing").isGreaterThan(cursor(seen.get(i - 1)));
        }
        List<RunEvent> logged = log(path);
        assertThat(seen).extracting(MessageEvent::getLastEventId).as("each of the log's events, once, in order")
                .isEqualTo(logged.stream().map(RunEvent::id).toList());
        for (int i = 0; i < seen.size(); i++) {
            assertThat(seen.get(i).getEventName()).isEqualTo(logged.get(i).type().wire());
            assertThat(data(seen.get(i))).isEqualTo(logged.get(i).toJson());
        }
        assertThat(follower.faults()).as("faults other than a response ending").isEmpty();
    }

    private List<RunEvent> log(String path) {
        return RunEventsEndToEndTest.readAll(log, path.substring(path.lastIndexOf('/') + 1));
    }

    private static EventCursor cursor(MessageEvent e) {
        return EventCursor.parse(e.getLastEventId(), "id");
    }

    private static JsonNode data(MessageEvent e) {
        return Json.read(e.getData());
    }

    /** An event's type, and for a step's its node: {@code step.started call}. */
    private static String describe(MessageEvent e) {
        String node = data(e).path("nodeId").asText("");
        return node.isEmpty() ? e.getEventName() : e.getEventName() + " " + node;
    }

    private static Predicate<MessageEvent> type(String type) {
        return e -> e.getEventName().equals(type);
    }

    private static Predicate<MessageEvent> step(String type, String nodeId) {
        return e -> e.getEventName().equals(type) && data(e).path("nodeId").asText().equals(nodeId);
    }

    private static List<JsonNode> stepsOf(JsonNode timeline) {
        List<JsonNode> steps = new ArrayList<>();
        timeline.get("steps").forEach(steps::add);
        return steps;
    }

    private static JsonNode stepOf(JsonNode timeline, String nodeId) {
        List<JsonNode> steps = stepsOf(timeline).stream().filter(s -> s.get("nodeId").asText().equals(nodeId)).toList();
        assertThat(steps).as("the steps of " + nodeId + " in " + timeline).hasSize(1);
        return steps.get(0);
    }

    private static List<JsonNode> audited(JsonNode timeline, String action) {
        List<JsonNode> out = new ArrayList<>();
        timeline.get("auditEvents").forEach(e -> {
            if (e.get("action").asText().equals(action)) {
                out.add(e);
            }
        });
        return out;
    }

    /**
     * One SSE client following the run from its start, reconnecting by itself after each response with the last id
     * it saw, until the endpoint's {@code end} event. A hook registered with {@link #when} runs on the reading
     * thread as its event is received, before anything after it is read.
     */
    private final class Follower implements AutoCloseable {
        private final EventSource source;
        private final Thread reader;
        private final List<MessageEvent> received = new ArrayList<>();
        private final List<String> faults = new ArrayList<>();
        private final Map<String, Function<MessageEvent, Void>> hooks = new ConcurrentHashMap<>();
        private MessageEvent end;

        Follower(String path) {
            source = new EventSource.Builder(ConnectStrategy.http(
                    URI.create("http://127.0.0.1:" + stack.port() + path + "/events?wait=5"))
                    .header("Authorization", "Bearer " + KEY).header("Accept", "text/event-stream"))
                    .errorStrategy(ErrorStrategy.alwaysContinue())
                    .retryDelayStrategy(RetryDelayStrategy.defaultStrategy().backoffMultiplier(1).jitterMultiplier(0))
                    .build();
            reader = new Thread(this::read, "follower");
            reader.setDaemon(true);
            reader.start();
        }

        /** What {@code hook} answers when the first event of this type is received, taken on the reading thread. */
        <T> CompletableFuture<T> when(String type, Function<MessageEvent, T> hook) {
            CompletableFuture<T> answer = new CompletableFuture<>();
            hooks.put(type, e -> {
                try {
                    answer.complete(hook.apply(e));
                } catch (RuntimeException | AssertionError failed) {
                    answer.completeExceptionally(failed);
                }
                return null;
            });
            return answer;
        }

        private void read() {
            for (StreamEvent e : source.anyEvents()) {
                if (e instanceof FaultEvent f) {
                    if (!(f.getCause() instanceof StreamClosedByServerException)) {
                        synchronized (this) {
                            faults.add(String.valueOf(f.getCause()));
                        }
                    }
                    continue;
                }
                if (!(e instanceof MessageEvent message)) {
                    continue;
                }
                if (!message.getEventName().equals("end")) {
                    Function<MessageEvent, Void> hook = hooks.remove(message.getEventName());
                    if (hook != null) {
                        hook.apply(message);
                    }
                }
                synchronized (this) {
                    if (message.getEventName().equals("end")) {
                        end = message;
                    } else {
                        received.add(message);
                    }
                    notifyAll();
                }
                if (message.getEventName().equals("end")) {
                    return; // a client closes its source on end
                }
            }
        }

        synchronized List<MessageEvent> received() {
            return List.copyOf(received);
        }

        synchronized List<String> faults() {
            return List.copyOf(faults);
        }

        /** The first event received that matches, waiting for it. */
        synchronized MessageEvent await(Predicate<MessageEvent> what) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(AWAIT_SECONDS);
            while (true) {
                for (MessageEvent e : received) {
                    if (what.test(e)) {
                        return e;
                    }
                }
                long left = until - System.nanoTime();
                assertThat(left).as("an awaited event; received: " + received.stream()
                        .map(HonestPauseEndToEndTest::describe).toList()).isPositive();
                wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
            }
        }

        synchronized MessageEvent awaitEnd() throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(AWAIT_SECONDS);
            while (end == null) {
                long left = until - System.nanoTime();
                assertThat(left).as("the end event; received: " + received.stream()
                        .map(HonestPauseEndToEndTest::describe).toList()).isPositive();
                wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
            }
            return end;
        }

        @Override
        public void close() throws InterruptedException {
            source.close();
            reader.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    /**
     * A service on this machine for the http node to call, which holds each request until the test releases it:
     * the node stays in flight exactly as long as the test needs, without a timer.
     */
    private static final class HeldService implements AutoCloseable {
        private final HttpServer server;
        private final java.util.concurrent.BlockingQueue<CountDownLatch> waiting =
                new java.util.concurrent.LinkedBlockingQueue<>();
        private final AtomicInteger requests = new AtomicInteger();
        private final List<CountDownLatch> all = new java.util.concurrent.CopyOnWriteArrayList<>();

        HeldService() {
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/", exchange -> {
                requests.incrementAndGet();
                CountDownLatch release = new CountDownLatch(1);
                all.add(release);
                waiting.add(release);
                try {
                    release.await(AWAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                byte[] body = "{\"answered\": true}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        /** Waits for the next request to arrive; answers the latch that releases it. */
        CountDownLatch awaitRequest() throws InterruptedException {
            CountDownLatch release = waiting.poll(AWAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(release).as("a request reached the service").isNotNull();
            return release;
        }

        int requests() {
            return requests.get();
        }

        @Override
        public void close() {
            all.forEach(CountDownLatch::countDown);
            server.stop(0);
        }
    }
}
