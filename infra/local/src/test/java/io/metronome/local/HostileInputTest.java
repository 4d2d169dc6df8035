package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.engine.Triggers;
import io.metronome.local.Http.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests as an attacker or a careless client sends them, over HTTP against the local stack: integers past
 * 2^63, bodies nested too deep, text that is not valid Unicode, forged cursors, webhook bodies that are not
 * UTF-8 text. Each is a 4xx in the envelope naming the field, and changes nothing; the signed webhook is taken.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
    private static final String ALICE_KEY = "alice-key-hostile-0123";
    private static final String BOB_KEY = "bob-key-hostile-0123";
    private static final String HUGE = "18446744073709551617"; // 2^64 + 1: wraps to 1 as a long
    private static final String NODES = """
            "nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}], "edges": []""";

    private LocalStack stack;
    private Http http;
    private Http.As alice;
    private Http.As bob;

    @BeforeAll
    void start() throws Exception {
        stack = LocalStack.start(new LocalStack.Options(0, null,
                List.of(new String[]{"alice", ALICE_KEY}, new String[]{"bob", BOB_KEY}), Path.of("../../template.yaml")));
        http = new Http(stack.port());
        alice = new Http.As(http, ALICE_KEY);
        bob = new Http.As(http, BOB_KEY);
    }

    @AfterAll
    void stop() {
        stack.close();
    }

    private static void refused(Reply r, String path) {
        assertThat(r.status()).as(r.raw()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("validation_error");
        assertThat(r.json().path("error").path("details").findValuesAsText("path")).as(r.raw()).contains(path);
    }

    private int metronomeCount(Http.As who) {
        return who.get("/v1/metronomes?limit=100").data().size();
    }

    private String metronome(Http.As who) {
        Reply r = who.post("/v1/metronomes", "{\"name\": \"m\", \"definition\": {" + NODES + "}}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.data().get("id").asText();
    }

    @Test
    void integersPastTwoToTheSixtyThreeAreRefusedNamingTheField() {
        int before = metronomeCount(alice);
        refused(alice.post("/v1/metronomes", "{\"name\": \"m\", \"maxAttempts\": " + HUGE + ", \"definition\": {" + NODES
                + "}}"), "maxAttempts");
        refused(alice.post("/v1/metronomes", "{\"name\": \"m\", \"timeoutMs\": " + HUGE + ", \"definition\": {" + NODES
                + "}}"), "timeoutMs");
        refused(alice.post("/v1/metronomes", "{\"name\": \"m\", \"timeoutMs\": -" + HUGE + ", \"definition\": {" + NODES
                + "}}"), "timeoutMs");
        refused(alice.post("/v1/metronomes", """
                {"name": "m", "definition": {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"},
                 "retry": {"maxAttempts": %s}}], "edges": []}}""".formatted(HUGE)), "definition.nodes[0].retry.maxAttempts");
        refused(alice.post("/v1/metronomes", """
                {"name": "m", "definition": {"nodes": [{"id": "a", "type": "http",
                 "config": {"method": "GET", "url": "https://example.com/", "timeoutMs": %s}}], "edges": []}}"""
                .formatted(HUGE)), "definition.nodes[0].config.timeoutMs");
        refused(alice.post("/v1/metronomes", """
                {"name": "m", "trigger": {"type": "schedule", "expression": "rate(%s minutes)"},
                 "definition": {%s}}""".formatted(HUGE, NODES)), "trigger.expression");
        refused(alice.post("/v1/metronomes", """
                {"name": "m", "trigger": {"type": "schedule", "expression": "rate(3651 days)"},
                 "definition": {%s}}""".formatted(NODES)), "trigger.expression");
        assertThat(metronomeCount(alice)).as("nothing was created").isEqualTo(before);

        String m = metronome(alice);
        refused(alice.post("/v1/metronomes/" + m + "/runs", "{\"input\": {}, \"timeoutMs\": " + HUGE + "}"), "timeoutMs");
        refused(alice.get("/v1/metronomes/" + m + "/runs?limit=" + HUGE), "limit");
        refused(alice.get("/v1/metronomes?limit=-" + HUGE), "limit");
        assertThat(alice.get("/v1/metronomes/" + m + "/runs").data().size()).as("no run was started").isZero();
    }

    @Test
    void aBodyNestedDeeperThanTheLimitIsRefusedNamingWhere() {
        String m = metronome(alice);
        String deep = "[".repeat(70) + "1" + "]".repeat(70);
        Reply r = alice.post("/v1/metronomes/" + m + "/runs", "{\"input\": " + deep + "}");
        assertThat(r.status()).as(r.raw()).isEqualTo(400);
        assertThat(r.json().path("error").path("details").get(0).path("path").asText()).startsWith("input[0][0]")
                .contains("[0]".repeat(60));
        String thousands = "[".repeat(5000) + "]".repeat(5000);
        Reply r2 = alice.post("/v1/metronomes/" + m + "/runs", "{\"input\": " + thousands + "}");
        assertThat(r2.status()).as(r2.raw()).isEqualTo(400);
        assertThat(alice.get("/v1/metronomes/" + m + "/runs").data().size()).isZero();
        String fine = "[".repeat(30) + "1" + "]".repeat(30);
        assertThat(alice.post("/v1/metronomes/" + m + "/runs", "{\"input\": " + fine + "}").status()).isEqualTo(201);
    }

    @Test
    void textThatIsNotValidUnicodeIsRefusedNotAltered() {
        int before = metronomeCount(alice);
        refused(alice.post("/v1/metronomes", "{\"name\": \"a\\ud800b\", \"definition\": {" + NODES + "}}"), "name");
        refused(alice.post("/v1/metronomes", "{\"name\": \"a\\udc00\", \"definition\": {" + NODES + "}}"), "name");
        assertThat(metronomeCount(alice)).isEqualTo(before);
        // A real pair (an emoji written as two escapes) is valid and kept exactly.
        Reply ok = alice.post("/v1/metronomes", "{\"name\": \"a\\ud83d\\ude00b\", \"definition\": {" + NODES + "}}");
        assertThat(ok.status()).as(ok.raw()).isEqualTo(201);
        String id = ok.data().get("id").asText();
        assertThat(alice.get("/v1/metronomes/" + id).data().get("name").asText()).isEqualTo("a\uD83D\uDE00b");
    }

    private static String cursor(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void forgedCursorsAreRefusedNamingCursor() {
        String m = metronome(alice);
        for (int i = 0; i < 3; i++) {
            assertThat(alice.post("/v1/metronomes/" + m + "/runs", "{\"input\": {}}").status()).isEqualTo(201);
        }
        Reply first = alice.get("/v1/metronomes/" + m + "/runs?limit=1");
        String good = first.json().get("nextCursor").asText();
        assertThat(alice.get("/v1/metronomes/" + m + "/runs?limit=1&cursor=" + good).status()).isEqualTo(200);
        String runId = first.data().get(0).get("id").asText();

        String bobs = metronome(bob);
        for (String forged : List.of(
                cursor("{\"runId\": \"" + runId + "\"}"),                                          // a key attribute missing
                cursor("{\"runId\": \"" + runId + "\", \"metronomeId\": \"" + m + "\", \"x\": \"y\"}"),  // one too many
                cursor("{\"runId\": \"" + runId + "\", \"metronomeId\": \"" + bobs + "\"}"),        // another list
                cursor("{\"runId\": 7, \"metronomeId\": \"" + m + "\"}"),                          // a number
                cursor("{\"runId\": \"\", \"metronomeId\": \"" + m + "\"}"),                       // empty
                cursor("{\"runId\": \"met_01m80tkks3y5fv0xwgpjs772tb\", \"metronomeId\": \"" + m + "\"}"), // wrong id kind
                cursor("{\"metronomeStatus\": \"" + m + "#queued\", \"runId\": \"" + runId + "\"}"), // the status list's
                cursor("[1, 2]"), "not-base64!", "x".repeat(5000))) {
            refused(alice.get("/v1/metronomes/" + m + "/runs?limit=1&cursor=" + forged), "cursor");
        }
        // Bob cannot use Alice's cursor on his own list either.
        refused(bob.get("/v1/metronomes/" + bobs + "/runs?cursor=" + good), "cursor");
        refused(alice.get("/v1/metronomes?cursor=" + cursor("{\"userId\": \"bob\", \"metronomeId\": \"" + bobs + "\"}")),
                "cursor");
        refused(alice.get("/v1/metronomes/" + m + "/trigger-events?cursor=" + cursor("{\"metronomeId\": \"" + m
                + "\", \"id\": \"tev_x\"}")), "cursor");
    }

    @Test
    void aSignedWebhookBodyThatIsNotUtf8TextIsVerifiedOverItsExactBytes() {
        Reply saved = alice.post("/v1/metronomes", "{\"name\": \"hook\", \"trigger\": {\"type\": \"webhook\"}, "
                + "\"definition\": {" + NODES + "}}");
        assertThat(saved.status()).as(saved.raw()).isEqualTo(201);
        String id = saved.data().get("id").asText();
        String secret = saved.data().get("webhookSecret").asText();
        byte[] body = {'h', 'i', 0, (byte) 0xC3, (byte) 0x28, (byte) 0xFF, 'x'}; // NUL, a broken pair, 0xFF
        String timestamp = Long.toString(Instant.now().getEpochSecond());
        String delivery = "delivery-nul-1";
        String signature = "v1=" + Triggers.sign(secret, timestamp + "." + delivery + ".", body);
        Reply r = http.callBytes("POST", "/v1/hooks/" + id, Map.of("Content-Type", "text/plain",
                "X-Metronome-Signature", signature, "X-Metronome-Timestamp", timestamp,
                "X-Metronome-Delivery", delivery), body);
        assertThat(r.status()).as(r.raw()).isEqualTo(202);
        JsonNode event = r.data();
        assertThat(event.get("status").asText()).isNotEqualTo("unauthorized");
        // One byte changed: refused.
        body[0] = 'H';
        Reply tampered = http.callBytes("POST", "/v1/hooks/" + id, Map.of("Content-Type", "text/plain",
                "X-Metronome-Signature", signature, "X-Metronome-Timestamp", timestamp,
                "X-Metronome-Delivery", "delivery-nul-2"), body);
        assertThat(tampered.status()).isEqualTo(401);

        // JSON the API would refuse (a lone surrogate escape) is signed as sent: taken, and kept as its exact text.
        byte[] json = "{\"note\": \"a\\ud800b\"}".getBytes(StandardCharsets.UTF_8);
        String signed = "v1=" + Triggers.sign(secret, timestamp + ".delivery-json-3.", json);
        Reply kept = http.callBytes("POST", "/v1/hooks/" + id, Map.of("Content-Type", "application/json",
                "X-Metronome-Signature", signed, "X-Metronome-Timestamp", timestamp,
                "X-Metronome-Delivery", "delivery-json-3"), json);
        assertThat(kept.status()).as(kept.raw()).isEqualTo(202);
        assertThat(kept.data().path("payload").path("body").asText()).isEqualTo(new String(json, StandardCharsets.UTF_8));
    }
}
