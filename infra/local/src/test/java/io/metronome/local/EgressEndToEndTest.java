package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.metronome.local.Http.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The egress policy on the local stack, over its API: an http node can reach a service on this machine, but not the
 * stack's DynamoDB, SQS or API ports, whether the URL is written in the definition (refused at save time), built
 * from the run's input, spelled as a host name, or reached through a redirect (refused when the run tries).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EgressEndToEndTest {
    private static final String KEY = "egress-key-0123456789";

    private LocalStack stack;
    private Http.As user;
    private HttpServer service;
    private final AtomicInteger serviceHits = new AtomicInteger();

    @BeforeAll
    void start() throws IOException {
        stack = LocalStack.start(new LocalStack.Options(0, null, List.<String[]>of(new String[]{"dev", KEY}),
                Path.of("../../template.yaml")));
        user = new Http.As(new Http(stack.port()), KEY);
        // A developer's own service on another loopback port: /ok answers, /to?url=... redirects there
        service = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        service.createContext("/", exchange -> {
            serviceHits.incrementAndGet();
            String query = exchange.getRequestURI().getRawQuery();
            if (exchange.getRequestURI().getPath().equals("/to") && query != null && query.startsWith("url=")) {
                exchange.getResponseHeaders().add("Location", java.net.URLDecoder.decode(query.substring(4), StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(302, -1);
            } else {
                byte[] body = "{\"service\": \"mine\"}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        service.start();
    }

    @AfterAll
    void stop() {
        service.stop(0);
        stack.close();
    }

    private String dynamo() {
        return "http://127.0.0.1:" + stack.emulators().dynamoEndpoint().getPort() + "/";
    }

    private String sqs() {
        return "http://127.0.0.1:" + stack.emulators().sqsEndpoint().getPort() + "/";
    }

    private String api() {
        return "http://127.0.0.1:" + stack.port() + "/health";
    }

    private String serviceUrl(String path) {
        return "http://127.0.0.1:" + service.getAddress().getPort() + path;
    }

    /** A metronome whose one http node POSTs a DynamoDB Scan to the URL the run's input gives. */
    private String callFromInput() {
        Reply r = user.post("/v1/metronomes", """
                {"name": "call", "maxAttempts": 3, "definition": {"nodes": [{"id": "call", "type": "http", "config": {
                  "method": "POST", "url": "{{ input.url }}",
                  "headers": {"X-Amz-Target": "DynamoDB_20120810.Scan", "Content-Type": "application/x-amz-json-1.0"},
                  "body": {"TableName": "RunsTable"}}}], "edges": []}}""");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.data().get("id").asText();
    }

    /** Runs the metronome with the URL as input; returns the run when it has finished, and its call step. */
    private JsonNode[] run(String metronomeId, String url) {
        String runs = "/v1/metronomes/" + metronomeId + "/runs";
        Reply started = user.post(runs, "{\"input\": {\"url\": " + io.metronome.domain.Json.MAPPER.valueToTree(url) + "}}");
        assertThat(started.status()).as(started.raw()).isEqualTo(201);
        String path = runs + "/" + started.data().get("id").asText();
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        JsonNode run = user.get(path).data();
        while (!io.metronome.domain.RunStatus.fromWire(run.get("status").asText()).isTerminal() && Instant.now().isBefore(end)) {
            sleep();
            run = user.get(path).data();
        }
        JsonNode steps = user.get(path + "/timeline").json().at("/data/steps");
        return new JsonNode[]{run, steps};
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void assertRefused(String metronomeId, String url, String because) {
        JsonNode[] result = run(metronomeId, url);
        assertThat(result[0].get("status").asText()).as(url).isEqualTo("failed");
        assertThat(result[1]).as("a refusal is not retried").hasSize(1);
        JsonNode step = result[1].get(0);
        assertThat(step.get("status").asText()).isEqualTo("failed");
        assertThat(step.get("error").asText()).as(url).contains("refused by the egress policy").contains(because);
        assertThat(step.path("output").isMissingNode() || step.get("output").isNull())
                .as("nothing came back from " + url).isTrue();
    }

    @Test
    void aUrlFromRunInputCannotReachTheStacksEmulatorsOrApi() {
        String m = callFromInput();
        for (String url : List.of(dynamo(), sqs(), api())) {
            assertRefused(m, url, "the local stack's own port");
        }
    }

    @Test
    void aHostNameThatResolvesToLoopbackCannotReachTheStackEither() {
        String m = callFromInput();
        String port = String.valueOf(stack.emulators().dynamoEndpoint().getPort());
        assertRefused(m, "http://localhost:" + port + "/", "'localhost' (");
        assertRefused(m, "http://[::ffff:127.0.0.1]:" + port + "/", "the local stack's own port");
        assertRefused(m, "http://0.0.0.0:" + port + "/", "unspecified");
    }

    @Test
    void aRedirectFromAnAllowedServiceToTheStackIsRefused() {
        String m = callFromInput();
        int before = serviceHits.get();
        String redirect = serviceUrl("/to?url=" + java.net.URLEncoder.encode(dynamo(), StandardCharsets.UTF_8));
        assertRefused(m, redirect, "the local stack's own port");
        assertThat(serviceHits.get()).as("the allowed service was called, and only the redirect refused").isEqualTo(before + 1);
    }

    @Test
    void aServiceOnAnotherLoopbackPortIsReachedLocally() {
        String m = callFromInput();
        JsonNode[] result = run(m, serviceUrl("/ok"));
        assertThat(result[0].get("status").asText()).isEqualTo("completed");
        assertThat(result[0].at("/output/body/service").asText()).isEqualTo("mine");
        assertThat(result[0].at("/output/status").asInt()).isEqualTo(200);
    }

    @Test
    void aLiteralUrlThePolicyRefusesIsA400AtSaveTimeNamingItsPath() {
        int before = user.get("/v1/metronomes?limit=100").data().size();
        for (String url : List.of(dynamo(), api(), "http://localhost:" + stack.emulators().sqsEndpoint().getPort() + "/",
                "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[fd00:ec2::254]/")) {
            Reply r = user.post("/v1/metronomes", """
                    {"name": "literal", "definition": {"nodes": [
                      {"id": "first", "type": "transform", "config": {"expression": "1"}},
                      {"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"}}],
                     "edges": [{"from": "first", "to": "call"}]}}""".formatted(url));
            assertThat(r.status()).as(url + ": " + r.raw()).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("validation_error");
            JsonNode detail = r.json().at("/error/details/0");
            assertThat(detail.get("path").asText()).isEqualTo("definition.nodes[1].config.url");
            assertThat(detail.get("message").asText()).as(url).startsWith("refused by the egress policy");
        }
        assertThat(user.get("/v1/metronomes?limit=100").data().size()).as("no metronome was created").isEqualTo(before);
        Reply allowed = user.post("/v1/metronomes", """
                {"name": "own service", "definition": {"nodes": [
                  {"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"}}], "edges": []}}"""
                .formatted(serviceUrl("/ok")));
        assertThat(allowed.status()).as(allowed.raw()).isEqualTo(201);
    }
}
