package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.local.Http.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Generated requests against every route of template.yaml, over HTTP on the local stack: random JSON of bounded
 * size and depth, wrong types, huge and negative numbers, text that is not valid Unicode, deep nesting, bodies
 * that are not JSON, query values and path ids of every sort. Never a 5xx, always the envelope (every response is
 * also checked against infra/openapi.yaml by {@link Http}), and a refused request leaves the store as it was. The
 * generator is seeded, so a failure names a case that can be run again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouteFuzzTest {
    private static final String KEY = "fuzz-key-0123456789";
    private static final long SEED = 20261201L;
    private static final int CASES_PER_ROUTE = 60;
    /**
     * What only a request writes (the worker, running the runs accepted requests started, adds steps and audit
     * events meanwhile and changes run items; the schedule tick adds trigger events).
     */
    private static final List<String> STORED = List.of("MetronomesTable", "VersionsTable", "RunsTable",
            "IdempotencyTable", "ApiKeysTable");
    private static final String VALID_FLOW = """
            {"name": "fuzz", "definition": {"nodes": [
              {"id": "a", "type": "transform", "config": {"expression": "input.n + 1"}},
              {"id": "b", "type": "succeed", "config": {"output": "nodes.a"}}],
             "edges": [{"from": "a", "to": "b"}]}}""";

    private LocalStack stack;
    private Http http;
    private Http.As user;
    private DynamoDbClient dynamo;
    private String metronomeId;
    private String runId;

    @BeforeAll
    void start() throws Exception {
        stack = LocalStack.start(new LocalStack.Options(0, null, List.<String[]>of(new String[]{"fuzzer", KEY}),
                Path.of("../../template.yaml")));
        http = new Http(stack.port());
        user = new Http.As(http, KEY);
        dynamo = LocalClients.dynamo(stack.emulators().dynamoEndpoint(), LocalClients.plain());
        Reply m = user.post("/v1/metronomes", VALID_FLOW);
        assertThat(m.status()).as(m.raw()).isEqualTo(201);
        metronomeId = m.data().get("id").asText();
        Reply r = user.post("/v1/metronomes/" + metronomeId + "/runs", "{\"input\": {\"n\": 1}}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        runId = r.data().get("id").asText();
    }

    @AfterAll
    void stop() {
        stack.close();
    }

    @Test
    void noGeneratedRequestGetsA5xxOrLeavesTheEnvelopeOrChangesTheStoreWhenRefused() {
        Random random = new Random(SEED);
        List<SamTemplate.Route> routes = SamTemplate.load(Path.of("../../template.yaml")).routes();
        assertThat(routes).hasSizeGreaterThan(10);
        int requests = 0;
        int refused = 0;
        for (SamTemplate.Route route : routes) {
            for (int i = 0; i < CASES_PER_ROUTE; i++) {
                String path = path(route.path(), random);
                String query = random.nextInt(3) == 0 ? "?" + query(random) : "";
                Map<String, String> headers = headers(random);
                if (route.path().endsWith("/events")) { // answered at once, as a stream or as JSON, from any cursor
                    query = "?wait=0" + query.replace('?', '&');
                    headers.putAll(streamHeaders(random));
                }
                String body = route.method().equals("GET") ? null : body(random);
                String label = "case " + i + " of " + route.method() + " " + route.path() + " (seed " + SEED + "): "
                        + route.method() + " " + path + query + " " + headers + " body " + abbreviate(body);
                Map<String, Object> before = counts();
                Reply reply = http.call(route.method(), path + query, headers, body);
                requests++;
                assertThat(reply.status()).as(label + " -> " + reply.raw()).isLessThan(500);
                JsonNode json = reply.json();
                if (json == null && reply.status() < 400 && (route.path().equals("/") || route.path().startsWith("/console"))) {
                    continue; // the console's redirect, page or file (checked against the document by Http)
                }
                if (json == null && reply.status() == 200) { // a Server-Sent Events stream, read by a real client
                    assertThat(Http.streamRetryMs(reply.raw())).as(label + " -> " + reply.raw()).isIn(500L, 0L, 600_000L);
                    continue;
                }
                assertThat(json).as(label + " -> " + reply.raw()).isNotNull();
                if (reply.status() >= 400) {
                    refused++;
                    assertThat(json.path("error").path("code").isTextual()).as(label + " -> " + reply.raw()).isTrue();
                    assertThat(json.path("error").path("message").isTextual()).as(label + " -> " + reply.raw()).isTrue();
                    if (!route.path().startsWith("/v1/hooks/")) { // a refused delivery is recorded, by design
                        assertThat(counts()).as(label + " was refused and changed the store").isEqualTo(before);
                    }
                }
            }
        }
        assertThat(refused).as("the generator mostly makes bad requests").isGreaterThan(requests / 2);

        // The stack is still healthy: health answers, and a normal run completes.
        assertThat(http.call("GET", "/health", Map.of(), null).status()).isEqualTo(200);
        Reply run = user.post("/v1/metronomes/" + metronomeId + "/runs", "{\"input\": {\"n\": 41}}");
        assertThat(run.status()).as(run.raw()).isEqualTo(201);
        String id = run.data().get("id").asText();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        JsonNode status;
        do {
            status = user.get("/v1/metronomes/" + metronomeId + "/runs/" + id).data();
        } while (!status.get("status").asText().equals("completed") && Instant.now().isBefore(deadline) && pause());
        assertThat(status.get("status").asText()).isEqualTo("completed");
        assertThat(status.get("output").asInt()).isEqualTo(42);
    }

    private static boolean pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    /**
     * The store as a refused request must leave it: every item of the tables only requests write (so an
     * overwrite counts, not only an addition), and the number of runs (whose items the worker changes).
     */
    private Map<String, Object> counts() {
        Map<String, Object> state = new LinkedHashMap<>();
        for (String table : STORED) {
            if (table.equals("RunsTable")) {
                state.put(table, dynamo.scan(r -> r.tableName(table).select("COUNT")).count());
            } else {
                state.put(table, new java.util.TreeSet<>(dynamo.scan(r -> r.tableName(table)).items().stream()
                        .map(item -> new java.util.TreeMap<>(item).toString()).toList()));
            }
        }
        return state;
    }

    private String path(String template, Random random) {
        String path = template;
        path = path.replace("{metronomeId}", id(random, metronomeId, "met_"));
        path = path.replace("{runId}", id(random, runId, "run_"));
        path = path.replace("{jobId}", id(random, "blk_01m80tkks3y5fv0xwgpjs772tb", "blk_"));
        path = path.replace("{proxy+}", switch (random.nextInt(4)) { // a console file: none of these is one
            case 0 -> "app.js";
            case 1 -> "lib/" + "x".repeat(1 + random.nextInt(300)) + ".js";
            case 2 -> "..%2F..%2Ftemplate.yaml";
            default -> "z" + URLEncoder.encode(text(random), StandardCharsets.UTF_8);
        });
        return path;
    }

    /** Mostly the real id (so the handler gets past its lookups), else something else entirely. */
    private static String id(Random random, String real, String prefix) {
        return switch (random.nextInt(6)) {
            case 0 -> prefix + "01m80tkks3y5fv0xwgpjs772tb";
            case 1 -> "z" + URLEncoder.encode(text(random), StandardCharsets.UTF_8); // never empty: an empty id is another path
            case 2 -> "x".repeat(1 + random.nextInt(300));
            default -> real;
        };
    }

    private static String query(Random random) {
        List<String> parts = new ArrayList<>();
        String[] names = {"limit", "cursor", "status", "x"};
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            String value = switch (random.nextInt(6)) {
                case 0 -> "99999999999999999999999";
                case 1 -> Integer.toString(random.nextInt(300) - 100);
                case 2 -> "eyJydW5JZCI6IjEifQ";
                case 3 -> "completed";
                default -> text(random);
            };
            parts.add(names[random.nextInt(names.length)] + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
        return String.join("&", parts);
    }

    private static Map<String, String> headers(Random random) {
        Map<String, String> h = new LinkedHashMap<>();
        switch (random.nextInt(8)) {
            case 0 -> { } // no key
            case 1 -> h.put("Authorization", "Bearer not-a-key");
            case 2 -> h.put("X-API-Key", KEY);
            default -> h.put("Authorization", "Bearer " + KEY);
        }
        h.put("Content-Type", random.nextInt(8) == 0 ? "text/plain" : "application/json");
        return h;
    }

    /** What a client of the events stream sends: an Accept of any sort, a Last-Event-ID or none. */
    private static Map<String, String> streamHeaders(Random random) {
        Map<String, String> h = new LinkedHashMap<>();
        String[] accepts = {"text/event-stream", "application/json", "*/*", "text/html", "application/json;q=0, */*;q=0.1"};
        if (random.nextInt(4) > 0) {
            h.put("Accept", accepts[random.nextInt(accepts.length)]);
        }
        // Any text, as a header can carry it (the HTTP client refuses to send a value that is not ASCII).
        String[] ids = {"1.0", "999999999999.999", "abc", "1.1000", "0.0", "2.5",
                URLEncoder.encode(text(random), StandardCharsets.UTF_8)};
        if (random.nextBoolean()) {
            h.put("Last-Event-ID", ids[random.nextInt(ids.length)]);
        }
        return h;
    }

    /** A body: a valid one with a part replaced, random JSON, something deep, or not JSON at all. */
    private static String body(Random random) {
        return switch (random.nextInt(7)) {
            case 0 -> null;
            case 1 -> json(random, 0);
            case 2 -> "[".repeat(60 + random.nextInt(3000)); // never closed
            case 3 -> "{\"input\": " + "[".repeat(65 + random.nextInt(10)) + "1" + "]".repeat(65 + random.nextInt(10)) + "}";
            case 4 -> text(random);
            default -> mutated(random);
        };
    }

    private static String mutated(Random random) {
        String[] fields = {"name", "description", "definition", "trigger", "maxAttempts", "timeoutMs", "input",
                "idempotencyKey", "reason", "approved", "comment", "attachedProjectId"};
        StringBuilder b = new StringBuilder("{");
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append('"').append(fields[random.nextInt(fields.length)]).append("\":").append(json(random, 0));
        }
        return b.append('}').toString();
    }

    private static String json(Random random, int depth) {
        int kind = depth > 4 ? random.nextInt(6) : random.nextInt(9);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> switch (random.nextInt(5)) {
                case 0 -> "18446744073709551617";
                case 1 -> "-9223372036854775809";
                case 2 -> "1e400";
                case 3 -> "-0.0";
                default -> Integer.toString(random.nextInt(2000) - 1000);
            };
            case 3 -> "\"\\ud800" + random.nextInt(10) + "\"";
            case 4, 5 -> '"' + escape(text(random)) + '"';
            case 6 -> {
                StringBuilder a = new StringBuilder("[");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    a.append(i > 0 ? "," : "").append(json(random, depth + 1));
                }
                yield a.append(']').toString();
            }
            default -> {
                StringBuilder o = new StringBuilder("{");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    o.append(i > 0 ? "," : "").append('"').append(escape(text(random))).append("\":")
                            .append(json(random, depth + 1));
                }
                yield o.append('}').toString();
            }
        };
    }

    private static String text(Random random) {
        String[] samples = {"", "a", "transform", "{{", "$", "%zz", "\u0000", "\u00e9\u4e2d\ud83d\ude00",
                "../../etc/passwd", "' OR 1=1 --", "x".repeat(70), "met_01m80tkks3y5fv0xwgpjs772tb", "cron(* * * * ? *)"};
        return samples[random.nextInt(samples.length)];
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String abbreviate(String s) {
        return s == null ? "(none)" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
