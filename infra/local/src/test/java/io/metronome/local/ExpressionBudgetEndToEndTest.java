package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.local.Http.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expressions over their budgets, over HTTP against the whole local stack: refused at save time with the path,
 * failing their run (and only it) at run time, and refusing a webhook delivery with a 4xx in the envelope.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExpressionBudgetEndToEndTest {
    private static final String KEY = "budget-key-0123456789";
    private static final String RECURSE = "($f := function($x){$f($x)}; $f(1))";

    private LocalStack stack;
    private Http http;
    private Http.As user;

    @BeforeAll
    void start() throws Exception {
        stack = LocalStack.start(new LocalStack.Options(0, null, List.<String[]>of(new String[]{"carol", KEY}),
                Path.of("../../template.yaml")));
        http = new Http(stack.port());
        user = new Http.As(http, KEY);
    }

    @AfterAll
    void stop() {
        stack.close();
    }

    private static String metronome(String trigger, String expression) {
        return """
                {"name": "budget", %s "definition": {"nodes": [
                  {"id": "t", "type": "transform", "config": {"expression": "%s"}}], "edges": []}}"""
                .formatted(trigger == null ? "" : "\"trigger\": " + trigger + ",", expression);
    }

    @Test
    void anExpressionNestedThousandsOfLevelsDeepIsA400NamingItsPath() {
        int before = user.get("/v1/metronomes?limit=100").data().size();
        Reply r = user.post("/v1/metronomes", metronome(null, "(".repeat(5000) + "1" + ")".repeat(5000)));

        assertThat(r.status()).as(r.raw()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("validation_error");
        assertThat(r.json().at("/error/details/0/path").asText()).isEqualTo("definition.nodes[0].config.expression");
        assertThat(r.json().at("/error/details/0/message").asText()).contains("nested 5000 levels deep");
        assertThat(user.get("/v1/metronomes?limit=100").data()).as("nothing was created").hasSize(before);
    }

    @Test
    void aRunWhoseExpressionNeverEndsFailsWithTheLimitNamedAndAnotherRunStillCompletes() {
        String bad = user.post("/v1/metronomes", metronome(null, RECURSE)).data().get("id").asText();
        String good = user.post("/v1/metronomes", metronome(null, "input.n * 2")).data().get("id").asText();
        List<String> failing = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            failing.add(user.post("/v1/metronomes/" + bad + "/runs", "{}").data().get("id").asText());
        }
        String other = user.post("/v1/metronomes/" + good + "/runs", "{\"input\": {\"n\": 21}}").data().get("id").asText();

        assertThat(awaitStatus(good, other, "completed").get("output").asInt()).isEqualTo(42);
        for (String run : failing) {
            assertThat(awaitStatus(bad, run, "failed").get("error").asText()).contains("ms budget");
        }
        assertThat(http.call("GET", "/health", Map.of(), null).status()).isEqualTo(200);
    }

    @Test
    void aWebhookFilterThatRecursesRefusesTheDeliveryWithA400AndRecordsItFailed() {
        Reply created = user.post("/v1/metronomes", metronome(
                "{\"type\": \"webhook\", \"filter\": \"" + RECURSE + "\"}", "input"));
        String m = created.data().get("id").asText();
        String secret = created.data().get("webhookSecret").asText();
        String body = "{\"action\": \"opened\"}";

        Reply refused = http.call("POST", "/v1/hooks/" + m, signed(secret, body, "dlv-budget-1"), body);

        assertThat(refused.status()).as(refused.raw()).isEqualTo(400);
        assertThat(refused.errorCode()).isEqualTo("validation_error");
        assertThat(refused.json().at("/error/details/0/path").asText()).isEqualTo("body");
        assertThat(refused.json().at("/error/details/0/message").asText()).contains("ms budget");
        JsonNode events = user.get("/v1/metronomes/" + m + "/trigger-events").data();
        assertThat(events).hasSize(1);
        assertThat(events.get(0).get("status").asText()).isEqualTo("failed");
        assertThat(events.get(0).get("reason").asText()).contains("ms budget");
        assertThat(user.get("/v1/metronomes/" + m + "/runs").data()).isEmpty();
    }

    private JsonNode awaitStatus(String metronomeId, String runId, String status) {
        Instant end = Instant.now().plus(Duration.ofSeconds(60));
        JsonNode run;
        do {
            run = user.get("/v1/metronomes/" + metronomeId + "/runs/" + runId).data();
            if (run.get("status").asText().equals(status)) {
                return run;
            }
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        } while (Instant.now().isBefore(end));
        throw new AssertionError("run " + runId + " is " + run.get("status") + ", not " + status);
    }

    private static Map<String, String> signed(String secret, String body, String delivery) {
        String ts = Long.toString(Instant.now().getEpochSecond());
        return Map.of("Content-Type", "application/json", "X-Metronome-Timestamp", ts, "X-Metronome-Delivery", delivery,
                "X-Metronome-Signature", "v1=" + io.metronome.engine.Triggers.sign(secret, ts + "." + delivery + ".",
                        body.getBytes(StandardCharsets.UTF_8)));
    }
}
