package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.metronome.domain.RunStatus;
import io.metronome.local.Http.Reply;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The worker on the local stack, fed as the template's event source mapping feeds it (its BatchSize and Timeout):
 * a node that takes long holds up no node of another run.
 */
class HeadOfLineEndToEndTest {
    private static final String KEY = "head-of-line-key-0123456789";

    @Test
    void aRunWhoseHttpNodeIsHeldDoesNotHoldUpAnotherRunAndEachInvocationGetsOneNode() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger answered = new AtomicInteger();
        HttpServer service = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        service.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        service.createContext("/", exchange -> {
            arrived.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "{\"held\": false}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
            answered.incrementAndGet();
        });
        service.start();
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(0, null, List.<String[]>of(new String[]{"dev", KEY}),
                Path.of("../../template.yaml")))) {
            Http.As user = new Http.As(new Http(stack.port()), KEY);
            String slow = metronome(user, """
                    {"name": "slow", "definition": {"nodes": [{"id": "call", "type": "http", "config": {
                      "method": "GET", "url": "http://127.0.0.1:%d/held", "timeoutMs": 60000}}], "edges": []}}"""
                    .formatted(service.getAddress().getPort()));
            String slowRun = start(user, slow);
            assertThat(arrived.await(30, TimeUnit.SECONDS)).as("the http node is in flight").isTrue();

            String fast = metronome(user, """
                    {"name": "fast", "definition": {"nodes": [
                      {"id": "a", "type": "transform", "config": {"expression": "2"}},
                      {"id": "b", "type": "transform", "config": {"expression": "nodes.a * 3"}},
                      {"id": "c", "type": "transform", "config": {"expression": "nodes.a * 5"}},
                      {"id": "d", "type": "transform", "config": {"expression": "nodes.a * 7"}},
                      {"id": "e", "type": "transform", "config": {"expression": "nodes.a * 11"}},
                      {"id": "f", "type": "transform", "config": {"expression": "nodes.b + nodes.c + nodes.d + nodes.e"}}],
                     "edges": [{"from": "a", "to": "b"}, {"from": "a", "to": "c"}, {"from": "a", "to": "d"},
                               {"from": "a", "to": "e"}, {"from": "b", "to": "f"}, {"from": "c", "to": "f"},
                               {"from": "d", "to": "f"}, {"from": "e", "to": "f"}]}}""");
            JsonNode fastRun = finished(user, fast, start(user, fast));
            assertThat(fastRun.get("status").asText()).isEqualTo("completed");
            assertThat(fastRun.get("output").asInt()).isEqualTo(52);

            // ... while the other run's node is still held, unanswered.
            assertThat(answered.get()).isZero();
            assertThat(user.get("/v1/metronomes/" + slow + "/runs/" + slowRun).data().get("status").asText())
                    .isEqualTo("running");
            QueuePoller worker = stack.poller("WorkerFunction");
            assertThat(worker.invocations()).as("the held node and the six others").isGreaterThanOrEqualTo(7);
            assertThat(worker.largestBatch()).as("records in one invocation").isEqualTo(1);

            release.countDown();
            JsonNode slowDone = finished(user, slow, slowRun);
            assertThat(slowDone.get("status").asText()).isEqualTo("completed");
            assertThat(slowDone.at("/output/body/held").asBoolean(true)).isFalse();
        } finally {
            release.countDown();
            service.stop(0);
        }
    }

    private static String metronome(Http.As user, String body) {
        Reply r = user.post("/v1/metronomes", body);
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.data().get("id").asText();
    }

    private static String start(Http.As user, String metronomeId) {
        Reply r = user.post("/v1/metronomes/" + metronomeId + "/runs", "{}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.data().get("id").asText();
    }

    /** The run once it has ended (or as it is after 30 s). */
    private static JsonNode finished(Http.As user, String metronomeId, String runId) throws InterruptedException {
        String path = "/v1/metronomes/" + metronomeId + "/runs/" + runId;
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        JsonNode run = user.get(path).data();
        while (!RunStatus.fromWire(run.get("status").asText()).isTerminal() && Instant.now().isBefore(end)) {
            Thread.sleep(100);
            run = user.get(path).data();
        }
        return run;
    }
}
