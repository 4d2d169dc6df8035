package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.local.Http.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The API over HTTP against the whole local stack (template-driven routes, the real authorizer and handlers,
 * the worker on its queue, the DynamoDB emulator and ElasticMQ). Every response is checked against infra/openapi.yaml.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiEndToEndTest {
    private static final String ALICE_KEY = "alice-key-0123456789";
    private static final String BOB_KEY = "bob-key-0123456789";
    private static final String FLOW = """
            {"name": "Order review", "definition": {"nodes": [
              {"id": "total", "type": "transform", "config": {"expression": "$sum(input.items.price)"}},
              {"id": "size", "type": "branch", "config": {"branches": [
                  {"id": "big", "label": "Big order", "condition": "nodes.total >= 100"}]}},
              {"id": "ask", "type": "approval", "config": {"prompt": "Ship this big order?"}},
              {"id": "done", "type": "succeed", "config": {"output": "{'total': nodes.total}"}}
             ],
             "edges": [{"from": "total", "to": "size"},
                       {"id": "to-ask", "from": "size", "to": "ask", "branchId": "big"},
                       {"id": "small", "from": "size", "to": "done", "branchId": "default"},
                       {"from": "ask", "to": "done"}]}}""";

    private LocalStack stack;
    private Http http;
    private Http.As alice;
    private Http.As bob;
    private Http.As anonymous;

    @BeforeAll
    void start() throws Exception {
        stack = LocalStack.start(new LocalStack.Options(0, null,
                List.of(new String[]{"alice", ALICE_KEY}, new String[]{"bob", BOB_KEY}), Path.of("../../template.yaml")));
        http = new Http(stack.port());
        alice = new Http.As(http, ALICE_KEY);
        bob = new Http.As(http, BOB_KEY);
        anonymous = new Http.As(http, null);
    }

    @AfterAll
    void stop() {
        stack.close();
    }

    private String createMetronome(Http.As who) {
        Reply r = who.post("/v1/metronomes", FLOW);
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.data().get("id").asText();
    }

    private JsonNode startRun(Http.As who, String metronomeId, String body) {
        Reply r = who.post("/v1/metronomes/" + metronomeId + "/runs", body);
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.data();
    }

    private JsonNode awaitStatus(Http.As who, String metronomeId, String runId, String status) {
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        JsonNode run;
        do {
            run = who.get("/v1/metronomes/" + metronomeId + "/runs/" + runId).data();
            if (run.get("status").asText().equals(status)) {
                return run;
            }
            sleep(150);
        } while (Instant.now().isBefore(end));
        throw new AssertionError("run " + runId + " is " + run.get("status") + ", not " + status);
    }

    @Test
    void healthNeedsNoKey() {
        Reply r = anonymous.get("/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("ok");
    }

    @Test
    void everyRouteButHealthAnswers401WithoutAKeyOrWithAWrongOne() {
        String m = createMetronome(alice);
        String run = startRun(alice, m, "{}").get("id").asText();
        List<String[]> routes = List.of(
                new String[]{"GET", "/v1/metronomes"}, new String[]{"POST", "/v1/metronomes"},
                new String[]{"GET", "/v1/metronomes/" + m}, new String[]{"PUT", "/v1/metronomes/" + m},
                new String[]{"GET", "/v1/metronomes/" + m + "/runs"}, new String[]{"POST", "/v1/metronomes/" + m + "/runs"},
                new String[]{"GET", "/v1/metronomes/" + m + "/runs/" + run},
                new String[]{"POST", "/v1/metronomes/" + m + "/runs/" + run + "/pause"},
                new String[]{"POST", "/v1/metronomes/" + m + "/runs/" + run + "/resume"},
                new String[]{"POST", "/v1/metronomes/" + m + "/runs/" + run + "/cancel"},
                new String[]{"POST", "/v1/metronomes/" + m + "/runs/" + run + "/approve"},
                new String[]{"PUT", "/v1/metronomes/" + m + "/runs/" + run + "/breakpoints"},
                new String[]{"POST", "/v1/metronomes/" + m + "/runs/" + run + "/schedule-pause"},
                new String[]{"DELETE", "/v1/metronomes/" + m + "/runs/" + run + "/schedule-pause"},
                new String[]{"GET", "/v1/metronomes/" + m + "/runs/" + run + "/timeline"},
                new String[]{"GET", "/v1/metronomes/" + m + "/trigger-events"},
                new String[]{"POST", "/v1/metronomes/" + m + "/webhook-secret"});
        List<Map<String, String>> badCredentials = List.of(Map.of(), Map.of("Authorization", "Bearer wrong-key"),
                Map.of("X-API-Key", "wrong-key"), Map.of("Authorization", "Basic " + ALICE_KEY),
                Map.of("Authorization", "Bearer "));
        for (String[] route : routes) {
            for (Map<String, String> credentials : badCredentials) {
                Reply r = http.call(route[0], route[1], credentials, route[0].equals("GET") ? null : "{}");
                assertThat(r.status()).as(route[0] + " " + route[1] + " with " + credentials).isEqualTo(401);
                assertThat(r.errorCode()).isEqualTo("unauthorized");
            }
        }
        // Nothing was changed by any of them.
        List<String> actions = new ArrayList<>();
        alice.get("/v1/metronomes/" + m + "/runs/" + run + "/timeline").json().at("/data/auditEvents")
                .forEach(e -> actions.add(e.get("action").asText()));
        assertThat(actions).doesNotContain("run.pause_requested", "run.resumed", "run.cancel_requested", "run.approved",
                "run.rejected");
        assertThat(alice.get("/v1/metronomes/" + m).data().get("versionNumber").asInt()).isEqualTo(1);
        assertThat(alice.get("/v1/metronomes/" + m + "/runs").data()).hasSize(1);
        // Both ways of sending the key work.
        assertThat(http.call("GET", "/v1/metronomes/" + m, Map.of("X-API-Key", ALICE_KEY), null).status()).isEqualTo(200);
        assertThat(http.call("GET", "/v1/metronomes/" + m, Map.of("authorization", "bearer " + ALICE_KEY), null).status())
                .isEqualTo(200);
    }

    @Test
    void anotherUsersMetronomesAndRunsAre404OnEveryRoute() {
        String m = createMetronome(alice);
        String run = startRun(alice, m, "{}").get("id").asText();
        String runs = "/v1/metronomes/" + m + "/runs";
        List<Reply> replies = List.of(
                bob.get("/v1/metronomes/" + m), bob.put("/v1/metronomes/" + m, FLOW),
                bob.get(runs), bob.post(runs, "{}"), bob.get(runs + "/" + run),
                bob.post(runs + "/" + run + "/pause", "{}"), bob.post(runs + "/" + run + "/resume", "{}"),
                bob.post(runs + "/" + run + "/cancel", "{}"), bob.post(runs + "/" + run + "/approve", "{\"approved\": true}"),
                bob.get(runs + "/" + run + "/timeline"));
        for (Reply r : replies) {
            assertThat(r.status()).as(r.raw()).isEqualTo(404);
            assertThat(r.errorCode()).isEqualTo("not_found");
        }
        assertThat(bob.get("/v1/metronomes").data()).isEmpty();
        // A run is only found under its own metronome.
        String other = createMetronome(alice);
        assertThat(alice.get("/v1/metronomes/" + other + "/runs/" + run).status()).isEqualTo(404);
        assertThat(alice.get(runs + "/" + run).data().get("status").asText()).isNotEqualTo("cancelled");
    }

    @Test
    void metronomesAreCreatedReadListedAndVersioned() {
        Reply created = alice.post("/v1/metronomes", FLOW);
        assertThat(created.status()).isEqualTo(201);
        String id = created.data().get("id").asText();
        assertThat(created.data().get("versionNumber").asInt()).isEqualTo(1);
        assertThat(alice.get("/v1/metronomes/" + id).data().get("name").asText()).isEqualTo("Order review");

        Reply updated = alice.put("/v1/metronomes/" + id, FLOW.replace("Order review", "Order review v2"));
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.data().get("versionNumber").asInt()).isEqualTo(2);
        assertThat(updated.data().get("versionId").asText()).isNotEqualTo(created.data().get("versionId").asText());

        Reply page = alice.get("/v1/metronomes?limit=1");
        assertThat(page.data()).hasSize(1);
        assertThat(page.json().get("nextCursor").isTextual()).isTrue();
        Reply next = alice.get("/v1/metronomes?limit=1&cursor=" + page.json().get("nextCursor").asText());
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.data().get(0).get("id").asText()).isNotEqualTo(page.data().get(0).get("id").asText());
    }

    @Test
    void aRunPausedAndResumedOverHttpFinishes() {
        String m = createMetronome(alice);
        JsonNode run = startRun(alice, m, "{\"input\": {\"items\": [{\"price\": 80}, {\"price\": 40}]}, "
                + "\"attachedProjectId\": \"prj_1\", \"attachedTicketId\": \"tkt_9\"}");
        String path = "/v1/metronomes/" + m + "/runs/" + run.get("id").asText();
        awaitStatus(alice, m, run.get("id").asText(), "waiting_approval");

        Reply paused = alice.post(path + "/pause", "{\"reason\": \"checking stock\"}");
        assertThat(paused.status()).isEqualTo(200);
        assertThat(paused.data().get("status").asText()).isEqualTo("paused");
        assertThat(alice.post(path + "/pause", "{}").data().get("status").asText()).isEqualTo("paused");
        Reply approveWhilePaused = alice.post(path + "/approve", "{\"approved\": true}");
        assertThat(approveWhilePaused.status()).isEqualTo(409);
        assertThat(approveWhilePaused.errorCode()).isEqualTo("invalid_state");

        assertThat(alice.post(path + "/resume", "{\"reason\": \"stock is fine\"}").data().get("status").asText())
                .isEqualTo("waiting_approval");
        assertThat(alice.post(path + "/resume", null).status()).as("resume of an active run").isEqualTo(200);
        assertThat(alice.post(path + "/approve", "{\"approved\": true, \"comment\": \"ship it\"}").status()).isEqualTo(200);
        JsonNode done = awaitStatus(alice, m, run.get("id").asText(), "completed");
        assertThat(done.get("output").get("total").asInt()).isEqualTo(120);

        JsonNode t = alice.get(path + "/timeline").json();
        assertThat(t.get("object").asText()).isEqualTo("metronome_run_timeline");
        JsonNode summary = t.at("/data/summary");
        assertThat(summary.get("stepCount").asInt()).isEqualTo(t.at("/data/steps").size()).isEqualTo(4);
        assertThat(summary.get("auditEventCount").asInt()).isEqualTo(t.at("/data/auditEvents").size());
        assertThat(summary.get("attachedProjectId").asText()).isEqualTo("prj_1");
        assertThat(summary.at("/branchDecisions/0/selectedEdgeId").asText()).isEqualTo("to-ask");
        List<String> actions = new ArrayList<>();
        t.at("/data/auditEvents").forEach(e -> actions.add(e.get("action").asText()));
        assertThat(actions).containsSubsequence("run.created", "run.started", "run.approval_requested",
                "run.pause_requested", "run.paused", "run.resumed", "run.approved", "run.completed");
        assertThat(t.at("/data/triggerEvent/triggerType").asText()).isEqualTo("manual");
        assertThat(t.at("/data/triggerEvent/status").asText()).isEqualTo("matched");
    }

    @Test
    void aCancelledRunIsRedrivenPastItsBranchAndJoinAndRerunOverHttp() {
        String m = createMetronome(alice);
        JsonNode run = startRun(alice, m, "{\"input\": {\"items\": [{\"price\": 80}, {\"price\": 45}]}}");
        String id = run.get("id").asText();
        String path = "/v1/metronomes/" + m + "/runs/" + id;
        awaitStatus(alice, m, id, "waiting_approval");
        Reply live = alice.post(path + "/redrive", null);
        assertThat(live.status()).as("a live run").isEqualTo(409);
        assertThat(live.errorCode()).isEqualTo("invalid_state");
        assertError(alice.post(path + "/redrive", "{\"reason\": 5}"), 400, "validation_error", "reason");
        assertThat(alice.post(path + "/cancel", "{\"reason\": \"by mistake\"}").status()).isEqualTo(200);
        awaitStatus(alice, m, id, "cancelled");

        // Redriven (once the run has closed): the approval asks again; total and size are not run again
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        Reply redriven = alice.post(path + "/redrive", "{\"reason\": \"cancelled by mistake\"}");
        while (redriven.status() == 409 && Instant.now().isBefore(end)) {
            sleep(150); // still ending: the worker closes it
            redriven = alice.post(path + "/redrive", "{\"reason\": \"cancelled by mistake\"}");
        }
        assertThat(redriven.status()).as(redriven.raw()).isEqualTo(200);
        assertThat(redriven.data().get("status").asText()).isEqualTo("running");
        assertThat(redriven.data().get("redriveCount").asInt()).isEqualTo(1);
        assertThat(redriven.data().get("completedAt").isNull()).isTrue();
        awaitStatus(alice, m, id, "waiting_approval");
        assertThat(alice.post(path + "/approve", "{\"approved\": true}").status()).isEqualTo(200);
        JsonNode done = awaitStatus(alice, m, id, "completed");
        assertThat(done.get("output").get("total").asInt()).isEqualTo(125);
        JsonNode t = alice.get(path + "/timeline?limit=1000").json();
        List<String> steps = new ArrayList<>();
        t.at("/data/steps").forEach(st -> steps.add(st.get("nodeId").asText() + " " + st.get("status").asText()));
        assertThat(steps).filteredOn(st -> st.startsWith("total ")).containsExactly("total completed");
        assertThat(steps).filteredOn(st -> st.startsWith("ask ")).containsExactly("ask cancelled", "ask completed");
        List<String> actions = new ArrayList<>();
        t.at("/data/auditEvents").forEach(e -> actions.add(e.get("action").asText()));
        assertThat(actions).containsSubsequence("run.cancelled", "run.redriven", "run.approved", "run.completed");
        assertThat(alice.post(path + "/redrive", null).status()).as("a completed run").isEqualTo(409);

        // Rerun: a new run, linked both ways, with a replaced input
        assertError(alice.post(path + "/rerun", "{\"inputs\": {}}"), 400, "validation_error", "inputs");
        Reply rerun = alice.post(path + "/rerun", "{\"input\": {\"items\": [{\"price\": 7}]}}");
        assertThat(rerun.status()).as(rerun.raw()).isEqualTo(201);
        assertThat(rerun.data().get("rerunOf").asText()).isEqualTo(id);
        JsonNode small = awaitStatus(alice, m, rerun.data().get("id").asText(), "completed");
        assertThat(small.get("output").get("total").asInt()).isEqualTo(7);
        List<String> linked = new ArrayList<>();
        alice.get(path + "/timeline?limit=1000").json().at("/data/auditEvents").forEach(e -> {
            if (e.get("action").asText().equals("run.rerun")) {
                linked.add(e.at("/payload/rerunRunId").asText());
            }
        });
        assertThat(linked).containsExactly(rerun.data().get("id").asText());
        assertThat(bob.post(path + "/rerun", null).status()).as("someone else's run").isEqualTo(404);
    }

    @Test
    void aBreakpointAndABudgetAreSetAndValidatedOverHttp() {
        String m = createMetronome(alice);
        // Over HTTP, bad controls are 400s naming each field, and start nothing
        assertError(alice.post("/v1/metronomes/" + m + "/runs",
                "{\"pauseBefore\": [\"ask\", \"nope\"], \"budgetCt\": -1, \"timeoutPolicy\": \"never\"}"),
                400, "validation_error", "budgetCt", "timeoutPolicy");
        assertError(alice.post("/v1/metronomes/" + m + "/runs", "{\"pauseBefore\": [\"nope\"]}"),
                400, "validation_error", "pauseBefore[0]");
        assertThat(alice.get("/v1/metronomes/" + m + "/runs").data()).isEmpty();

        JsonNode run = startRun(alice, m, "{\"input\": {\"items\": [{\"price\": 5}]}, \"pauseBefore\": [\"done\"], "
                + "\"budgetCt\": 50, \"timeoutPolicy\": \"excludePaused\", \"timeoutMs\": 600000}");
        assertThat(run.get("pauseBefore").toString()).isEqualTo("[\"done\"]");
        assertThat(run.get("budgetCt").asDouble()).isEqualTo(50.0);
        assertThat(run.get("timeoutPolicy").asText()).isEqualTo("excludePaused");
        String id = run.get("id").asText();
        String path = "/v1/metronomes/" + m + "/runs/" + id;
        JsonNode paused = awaitStatus(alice, m, id, "paused");
        assertThat(paused.at("/pauseCause/reason").asText()).isEqualTo("breakpoint");
        assertThat(paused.at("/pauseCause/nodeId").asText()).isEqualTo("done");

        assertError(alice.put(path + "/breakpoints", "{\"pauseBefore\": \"done\"}"), 400, "validation_error", "pauseBefore");
        assertError(alice.put(path + "/breakpoints", "{}"), 400, "validation_error", "pauseBefore");
        assertError(alice.put(path + "/breakpoints", "{\"pauseBefore\": [], \"x\": 1}"), 400, "validation_error", "x");
        assertThat(bob.put(path + "/breakpoints", "{\"pauseBefore\": []}").status()).isEqualTo(404);
        Reply cleared = alice.put(path + "/breakpoints", "{\"pauseBefore\": []}");
        assertThat(cleared.status()).as(cleared.raw()).isEqualTo(200);
        assertThat(cleared.data().get("pauseBefore")).isEmpty();
        assertError(alice.post(path + "/resume", "{\"budgetCt\": \"more\"}"), 400, "validation_error", "budgetCt");

        Reply resumed = alice.post(path + "/resume", "{\"budgetCt\": 80}");
        assertThat(resumed.data().get("budgetCt").asDouble()).isEqualTo(80.0);
        JsonNode done = awaitStatus(alice, m, id, "completed");
        assertThat(done.get("pauseCause").isNull()).isTrue();
        assertThat(done.get("pausedAt").isNull()).isTrue();
        Reply ended = alice.put(path + "/breakpoints", "{\"pauseBefore\": [\"ask\"]}");
        assertThat(ended.status()).isEqualTo(409);
        assertThat(ended.errorCode()).isEqualTo("invalid_state");
    }

    @Test
    void aPauseIsScheduledTakenResumedByItselfAndCancelledOverHttp() {
        String m = createMetronome(alice);
        String id = startRun(alice, m, "{\"input\": {\"items\": [{\"price\": 500}]}}").get("id").asText();
        String path = "/v1/metronomes/" + m + "/runs/" + id;
        awaitStatus(alice, m, id, "waiting_approval");
        java.time.Instant now = java.time.Instant.now();
        assertError(alice.post(path + "/schedule-pause", "{\"at\": \"" + now.minusSeconds(5) + "\"}"), 400,
                "validation_error", "at");
        assertError(alice.post(path + "/schedule-pause", "{\"at\": \"" + now.plusSeconds(60) + "\", \"resumeAt\": \""
                + now.plusSeconds(30) + "\"}"), 400, "validation_error", "resumeAt");
        assertThat(bob.post(path + "/schedule-pause", "{\"at\": \"" + now.plusSeconds(60) + "\"}").status()).isEqualTo(404);
        assertThat(bob.delete(path + "/schedule-pause").status()).isEqualTo(404);
        Reply none = alice.delete(path + "/schedule-pause");
        assertThat(none.status()).as(none.raw()).isEqualTo(200);
        assertThat(none.data().get("schedule").isNull()).isTrue();

        // A window: paused at its start, resumed at its end, by the local stack's own workers
        // (margins of seconds: the 150 ms polls below must see the pause on a loaded machine)
        java.time.Instant at = java.time.Instant.now().plusSeconds(2);
        Reply scheduled = alice.post(path + "/schedule-pause", "{\"at\": \"" + at + "\", \"resumeAt\": \""
                + at.plusSeconds(6) + "\", \"reason\": \"quiet hours\"}");
        assertThat(scheduled.status()).as(scheduled.raw()).isEqualTo(200);
        assertThat(scheduled.data().at("/schedule/reason").asText()).isEqualTo("quiet hours");
        assertThat(scheduled.data().at("/schedule/requestedBy").asText()).isNotEmpty();
        JsonNode paused = awaitStatus(alice, m, id, "paused");
        assertThat(paused.at("/pauseCause/reason").asText()).isEqualTo("scheduled");
        assertThat(paused.at("/schedule/pauseAt").isNull()).isTrue();
        JsonNode back = awaitStatus(alice, m, id, "waiting_approval");
        assertThat(back.get("schedule").isNull()).isTrue();

        // Scheduled, then cancelled: it never pauses
        java.time.Instant later = java.time.Instant.now().plusSeconds(6);
        assertThat(alice.post(path + "/schedule-pause", "{\"at\": \"" + later + "\"}").status()).isEqualTo(200);
        assertThat(alice.delete(path + "/schedule-pause").data().get("schedule").isNull()).isTrue();
        sleep(Math.max(0, java.time.Duration.between(java.time.Instant.now(), later).toMillis()) + 2000);
        assertThat(alice.get(path).data().get("status").asText()).isEqualTo("waiting_approval");
        List<String> actions = new ArrayList<>();
        alice.get(path + "/timeline").json().at("/data/auditEvents").forEach(e -> actions.add(e.get("action").asText()));
        assertThat(actions).containsSubsequence("run.pause_scheduled", "run.pause_requested", "run.resumed",
                "run.pause_scheduled", "run.schedule_cancelled");
        assertThat(actions).filteredOn("run.pause_requested"::equals).hasSize(1);
        assertThat(alice.post(path + "/approve", "{\"approved\": true}").status()).isEqualTo(200);
        awaitStatus(alice, m, id, "completed");
        Reply ended = alice.post(path + "/schedule-pause", "{\"at\": \"" + java.time.Instant.now().plusSeconds(60) + "\"}");
        assertThat(ended.status()).isEqualTo(409);
    }

    @Test
    void cancelIsImmediateAndEndedRunsRefuseResumeAndApprove() {
        String m = createMetronome(alice);
        String id = startRun(alice, m, "{\"input\": {\"items\": [{\"price\": 500}]}}").get("id").asText();
        String path = "/v1/metronomes/" + m + "/runs/" + id;
        awaitStatus(alice, m, id, "waiting_approval");

        Reply cancelled = alice.post(path + "/cancel", "{\"reason\": \"customer withdrew\"}");
        assertThat(cancelled.data().get("status").asText()).isEqualTo("cancelled");
        // A second cancel changes nothing (the worker may meanwhile record the nodes never reached, which touches
        // updatedAt; completedAt is the cancel's own).
        assertThat(alice.post(path + "/cancel", "{}").data().get("completedAt"))
                .isEqualTo(cancelled.data().get("completedAt"));
        assertThat(alice.post(path + "/resume", "{}").status()).isEqualTo(409);
        assertThat(alice.post(path + "/approve", "{\"approved\": false}").status()).isEqualTo(409);
        assertThat(alice.post(path + "/pause", "{}").data().get("status").asText()).isEqualTo("cancelled");
        JsonNode steps = alice.get(path + "/timeline").json().at("/data/steps");
        assertThat(steps.get(steps.size() - 1).get("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void runsStartedWithTheSameIdempotencyKeyAreOne() {
        String m = createMetronome(alice);
        String body = "{\"idempotencyKey\": \"checkout-42\", \"input\": {\"items\": []}}";
        Reply first = alice.post("/v1/metronomes/" + m + "/runs", body);
        Reply second = alice.post("/v1/metronomes/" + m + "/runs", body);
        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.data().get("id")).isEqualTo(first.data().get("id"));
        assertThat(alice.get("/v1/metronomes/" + m + "/runs").data()).hasSize(1);
    }

    @Test
    void runsAreListedNewestFirstAndByStatus() {
        String m = createMetronome(alice);
        String waits = "{\"input\": {\"items\": [{\"price\": 500}]}}";
        String a = startRun(alice, m, waits).get("id").asText();
        String b = startRun(alice, m, waits).get("id").asText();
        alice.post("/v1/metronomes/" + m + "/runs/" + a + "/cancel", "{}");
        Reply all = alice.get("/v1/metronomes/" + m + "/runs?limit=1");
        assertThat(all.data().get(0).get("id").asText()).isEqualTo(b);
        Reply rest = alice.get("/v1/metronomes/" + m + "/runs?limit=1&cursor=" + all.json().get("nextCursor").asText());
        assertThat(rest.data().get(0).get("id").asText()).isEqualTo(a);
        assertThat(alice.get("/v1/metronomes/" + m + "/runs?status=cancelled").data()).hasSize(1);
    }

    @Test
    void badInputIsAClear4xxAndChangesNothing() {
        String m = createMetronome(alice);
        String runs = "/v1/metronomes/" + m + "/runs";
        assertError(alice.post("/v1/metronomes", "{\"name\": \"x\", "), 400, "validation_error", "$");
        assertError(alice.post("/v1/metronomes", "{\"name\": 5, \"definition\": {\"nodes\": []}}"), 400,
                "validation_error", "name", "definition.nodes");
        assertError(alice.post("/v1/metronomes", "{\"name\": \"x\", \"definition\": {\"nodes\": ["
                + "{\"id\": \"a\", \"type\": \"teleport\"}]}}"), 400, "validation_error", "definition.nodes[0].type");
        assertError(alice.post("/v1/metronomes", "{\"name\": \"x\", \"colour\": \"red\", \"definition\": {\"nodes\": ["
                + "{\"id\": \"a\", \"type\": \"transform\", \"config\": {\"expression\": \"(\"}}]}}"), 400,
                "validation_error", "colour", "definition.nodes[0].config.expression");
        assertError(alice.post("/v1/metronomes", "{\"name\": \"x\", \"name\": \"y\"}"), 400, "validation_error", "$");
        assertError(alice.post(runs, "{\"idempotencyKey\": 7, \"timeoutMs\": -1, \"extra\": true}"), 400,
                "validation_error", "idempotencyKey", "timeoutMs", "extra");
        assertError(alice.post(runs, "[]"), 400, "validation_error", "$");
        assertError(alice.post(runs, "{\"input\": \"" + "x".repeat(300 * 1024) + "\"}"), 413, "payload_too_large");
        assertError(http.call("POST", runs, Map.of("Authorization", "Bearer " + ALICE_KEY, "Content-Type", "text/plain"),
                "{}"), 415, "unsupported_media_type");
        assertError(alice.get(runs + "?limit=abc"), 400, "validation_error", "limit");
        assertError(alice.get(runs + "?limit=0"), 400, "validation_error", "limit");
        assertError(alice.get(runs + "?limit=500"), 400, "validation_error", "limit");
        assertError(alice.get(runs + "?cursor=not-a-cursor"), 400, "validation_error", "cursor");
        assertError(alice.get(runs + "?status=sleeping"), 400, "validation_error", "status");
        assertError(alice.get("/v1/metronomes?cursor=%7B%7D"), 400, "validation_error", "cursor");
        assertError(alice.get("/v1/metronomes/not-an-id"), 404, "not_found");
        assertError(alice.get(runs + "/run_not..an-id"), 404, "not_found");
        assertError(alice.get("/v1/metronomes/met_00000000000000000000000000/runs"), 404, "not_found");
        String run = startRun(alice, m, "{\"input\": {\"items\": [{\"price\": 500}]}}").get("id").asText();
        assertError(alice.post(runs + "/" + run + "/pause", "{\"reason\": 42}"), 400, "validation_error", "reason");
        assertError(alice.post(runs + "/" + run + "/approve", "{}"), 400, "validation_error", "approved");
        assertError(alice.post(runs + "/" + run + "/approve", "{\"approved\": \"yes\"}"), 400, "validation_error", "approved");
        assertThat(alice.get("/v1/metronomes/" + m).data().get("versionNumber").asInt()).isEqualTo(1);
        assertThat(alice.get(runs).data()).hasSize(1);
    }

    private String head(String method, String target, String... headers) {
        StringBuilder b = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + stack.port());
        for (String h : headers) {
            b.append("\r\n").append(h);
        }
        return b.toString();
    }

    private String aliceHead(String method, String target, String... headers) {
        List<String> all = new ArrayList<>(List.of("Authorization: Bearer " + ALICE_KEY));
        all.addAll(List.of(headers));
        return head(method, target, all.toArray(String[]::new));
    }

    @Test
    void aPathNoRouteHasIs404InTheEnvelopeWithOrWithoutAKey() {
        // ("/" is the console's; its greedy route takes no empty rest: "/console/" is no route)
        for (String path : List.of("/v1/nowhere", "/console/", "/v1", "/v1/metronomes/", "/v1/metronomes/m/runs/r/pause/now",
                "/health/", "/HEALTH", "/v1/metronomes//runs")) {
            // The document's validator matches paths loosely (case, extra slashes); API Gateway and the gateway do not.
            boolean loose = !path.equals(path.toLowerCase(java.util.Locale.ROOT)) || path.matches(".+/|.*//.*");
            assertThat(Http.documents("GET", path) && !loose).as(path).isFalse();
            for (String h : new String[]{head("GET", path), aliceHead("GET", path), head("POST", path,
                    "Content-Type: application/json", "Content-Length: 2") }) {
                RawHttp.Answer a = http.outside(h, h.startsWith("POST") ? "{}".getBytes() : null);
                assertThat(a.status()).as(h).isEqualTo(404);
                assertThat(a.errorCode()).isEqualTo("not_found");
                assertThat(a.header("allow")).isNull();
            }
        }
    }

    @Test
    void aKnownPathWithAMethodItDoesNotHaveIs405WithTheMethodsItHas() {
        String m = createMetronome(alice);
        String run = startRun(alice, m, "{}").get("id").asText();
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("DELETE /v1/metronomes/" + m, "GET, PUT");
        cases.put("PATCH /v1/metronomes", "GET, POST");
        cases.put("POST /health", "GET");
        cases.put("HEAD /health", "GET");
        cases.put("OPTIONS /v1/metronomes/" + m + "/runs", "GET, POST");
        cases.put("DELETE /v1/metronomes/" + m + "/runs/" + run, "GET");
        cases.put("GET /v1/metronomes/" + m + "/runs/" + run + "/pause", "POST");
        cases.put("GET /v1/hooks/" + m, "POST");
        cases.put("BREW /v1/metronomes", "GET, POST");
        cases.put("POST /", "GET");
        cases.put("DELETE /console/lib/dagre.js", "GET");
        cases.forEach((request, allowed) -> {
            String method = request.substring(0, request.indexOf(' '));
            String path = request.substring(method.length() + 1);
            if (!method.equals("BREW")) {
                assertThat(Http.documents(method, path)).as(request).isFalse();
            }
            for (String h : new String[]{head(method, path), aliceHead(method, path)}) {
                RawHttp.Answer a = method.equals("HEAD") ? RawHttp.send(stack.port(), h, null) : http.outside(h, null);
                assertThat(a.status()).as(h).isEqualTo(405);
                assertThat(a.header("allow")).as(h).isEqualTo(allowed);
                if (!method.equals("HEAD")) { // a HEAD answer has no body
                    assertThat(a.errorCode()).isEqualTo("method_not_allowed");
                }
            }
        });
        assertThat(alice.get("/v1/metronomes/" + m).status()).as("nothing was deleted").isEqualTo(200);
        assertThat(alice.get("/v1/metronomes/" + m + "/runs/" + run).data().get("status").asText())
                .as("nothing was paused").isNotEqualTo("paused");
    }

    @Test
    void malformedPercentEscapesInThePathOrQueryAre400NamingWhereAndChangeNothing() {
        String m = createMetronome(alice);
        int metronomes = alice.get("/v1/metronomes?limit=100").data().size();
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("GET /v1/metronomes/%zz", "$path");
        cases.put("GET /v1/metronomes/abc%", "$path");
        cases.put("GET /v1/met%zzronomes", "$path");
        cases.put("GET /v1/metronomes/%ff/runs", "metronomeId");       // escapes that are not UTF-8
        cases.put("GET /v1/metronomes/" + m + "/runs/%c3%28", "runId");
        cases.put("GET /v1/metronomes?cursor=%zz", "cursor");
        cases.put("GET /v1/metronomes?limit=1%", "limit");
        cases.put("GET /v1/metronomes?%zz=1", "$query");
        cases.put("GET /v1/metronomes/" + m + "/runs?status=%e2%82", "status");
        cases.put("POST /v1/metronomes?x=%zz", "x");
        cases.put("PUT /v1/metronomes/%zz", "$path");
        cases.forEach((request, where) -> {
            String method = request.substring(0, request.indexOf(' '));
            String target = request.substring(method.length() + 1);
            byte[] body = method.equals("GET") ? null : FLOW.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String h = body == null ? aliceHead(method, target)
                    : aliceHead(method, target, "Content-Type: application/json", "Content-Length: " + body.length);
            RawHttp.Answer a = http.outside(h, body);
            assertThat(a.status()).as(h + " " + a.body()).isEqualTo(400);
            assertThat(a.errorCode()).isEqualTo("validation_error");
            assertThat(a.detailPaths()).as(h + " " + a.body()).containsExactly(where);
        });
        assertThat(alice.get("/v1/metronomes?limit=100").data()).as("no metronome created").hasSize(metronomes);
        assertThat(alice.get("/v1/metronomes/" + m).data().get("versionNumber").asInt()).as("none updated").isEqualTo(1);
        // Escapes that are well formed still decode: a '%41' is an 'A', and '+' in a query is a space.
        assertThat(alice.get("/v1/metronomes/%6Det_00000000000000000000000000").errorCode()).isEqualTo("not_found");
        assertThat(alice.get("/v1/metronomes?limit=%32").status()).isEqualTo(200);
    }

    @Test
    void aBodyPastApiGatewaysLimitIs413InTheEnvelopeAndChangesNothing() {
        int metronomes = alice.get("/v1/metronomes?limit=100").data().size();
        int over = 10 * 1024 * 1024 + 1;
        // Declared too long: refused before a byte of it is read.
        RawHttp.Answer declared = http.outside(aliceHead("POST", "/v1/metronomes", "Content-Type: application/json",
                "Content-Length: " + over), null);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.errorCode()).isEqualTo("payload_too_large");
        // Streamed without a length: refused once past the limit.
        byte[] chunk = ("100000\r\n" + "x".repeat(0x100000) + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.io.ByteArrayOutputStream chunked = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 11; i++) {
            chunked.writeBytes(chunk);
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        RawHttp.Answer streamed = http.outside(aliceHead("POST", "/v1/metronomes", "Content-Type: application/json",
                "Transfer-Encoding: chunked"), chunked.toByteArray());
        assertThat(streamed.status()).isEqualTo(413);
        assertThat(streamed.errorCode()).isEqualTo("payload_too_large");
        // Past the API's own 256 KB but within the gateway's 10 MB: the handler's 413, in the same envelope.
        assertError(alice.post("/v1/metronomes", "{\"name\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}"), 413,
                "payload_too_large");
        assertThat(alice.get("/v1/metronomes?limit=100").data()).hasSize(metronomes);
    }

    @Test
    void requestsTheServerCannotReadAre400InTheEnvelope() {
        List<String[]> unreadable = List.of(
                new String[]{"GE(T /health HTTP/1.1\r\nHost: x", null},                       // a method that is no token
                new String[]{"GET /health HTTP/9.9\r\nHost: x", null},                        // an unknown version
                new String[]{"HELLO", null},                                                 // no request line
                new String[]{"GET /health HTTP/1.1", null},                                   // no Host
                new String[]{"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1", null},       // a header name with a space
                new String[]{"GET /health HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b", null},          // a control character
                new String[]{"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000), null},
                new String[]{"GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x", null},
                new String[]{"POST /v1/metronomes HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6", "abcde"},
                new String[]{"POST /v1/metronomes HTTP/1.1\r\nHost: x\r\nContent-Length: abc", null},
                new String[]{"POST /v1/metronomes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip", "abc"},
                new String[]{"POST /v1/hooks/met_x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        + "Content-Type: application/json", "zz\r\nabc\r\n0\r\n\r\n"});      // broken chunk framing
        for (String[] request : unreadable) {
            RawHttp.Answer a = http.outside(request[0], request[1] == null ? null
                    : request[1].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            assertThat(a.status()).as(request[0].lines().findFirst().orElseThrow() + " " + a.body()).isEqualTo(400);
            assertThat(a.errorCode()).isEqualTo("validation_error");
        }
        assertThat(anonymous.get("/health").status()).as("still serving").isEqualTo(200);
    }

    @Test
    void signedWebhookDeliveriesStartRunsAndEveryDeliveryIsVisible() {
        Reply created = alice.post("/v1/metronomes", FLOW.replace("{\"name\": \"Order review\"",
                "{\"name\": \"Order review\", \"trigger\": {\"type\": \"webhook\", \"filter\": \"$exists(body.items)\"}"));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String m = created.data().get("id").asText();
        String secret = created.data().get("webhookSecret").asText();
        assertThat(alice.get("/v1/metronomes/" + m).data().has("webhookSecret")).as("shown only once").isFalse();
        String body = "{\"items\": [{\"price\": 5}]}";

        Reply delivered = http.call("POST", "/v1/hooks/" + m, signed(secret, body, "dlv-1"), body);
        Reply again = http.call("POST", "/v1/hooks/" + m, signed(secret, body, "dlv-1"), body);
        Reply forged = http.call("POST", "/v1/hooks/" + m, signed("whsec_guess", body, "dlv-2"), body);
        Reply filtered = http.call("POST", "/v1/hooks/" + m, signed(secret, "{\"ping\": true}", "dlv-3"), "{\"ping\": true}");

        assertThat(delivered.status()).isEqualTo(202);
        assertThat(delivered.data().get("status").asText()).isEqualTo("matched");
        String runId = delivered.data().get("runId").asText();
        assertThat(again.data().get("id")).isEqualTo(delivered.data().get("id"));
        assertThat(forged.status()).isEqualTo(401);
        assertThat(forged.errorCode()).isEqualTo("unauthorized");
        assertThat(filtered.data().get("status").asText()).isEqualTo("ignored");
        assertThat(alice.get("/v1/metronomes/" + m + "/runs").data()).hasSize(1);
        awaitStatus(alice, m, runId, "completed");
        List<String> statuses = new ArrayList<>();
        alice.get("/v1/metronomes/" + m + "/trigger-events").data().forEach(e -> statuses.add(e.get("status").asText()));
        assertThat(statuses).containsExactly("ignored", "unauthorized", "matched");
        assertThat(bob.get("/v1/metronomes/" + m + "/trigger-events").status()).isEqualTo(404);
        assertThat(http.call("POST", "/v1/hooks/met_00000000000000000000000000", signed(secret, body, "x"), body).status())
                .isEqualTo(404);

        Reply rotated = alice.post("/v1/metronomes/" + m + "/webhook-secret", null);
        String fresh = rotated.data().get("webhookSecret").asText();
        assertThat(fresh).isNotEqualTo(secret);
        assertThat(http.call("POST", "/v1/hooks/" + m, signed(secret, body, "dlv-4"), body).status()).isEqualTo(401);
        assertThat(http.call("POST", "/v1/hooks/" + m, signed(fresh, body, "dlv-4"), body).status()).isEqualTo(202);
        assertThat(alice.post("/v1/metronomes/" + createMetronome(alice) + "/webhook-secret", null).status()).isEqualTo(409);
    }

    private static Map<String, String> signed(String secret, String body, String delivery) {
        String ts = Long.toString(Instant.now().getEpochSecond());
        return Map.of("Content-Type", "application/json", "X-Metronome-Timestamp", ts, "X-Metronome-Delivery", delivery,
                "X-Metronome-Signature", "v1=" + io.metronome.engine.Triggers.sign(secret, ts + "." + delivery + ".",
                        body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static void assertError(Reply r, int status, String code, String... paths) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.errorCode()).as(r.raw()).isEqualTo(code);
        List<String> reported = new ArrayList<>();
        r.json().at("/error/details").forEach(d -> reported.add(d.get("path").asText()));
        assertThat(reported).as(r.raw()).contains(paths);
    }

    /** The timeline has exactly the fields of the seed document it was specified from, field for field. */
    @Test
    void theTimelineMatchesTheSeedDocumentFieldForField() throws Exception {
        Path seed = Path.of("../../../shared/seeds/002_6f3c98ead6759517.txt");
        assumeTrue(Files.exists(seed), "the seed documents are not beside this checkout (../shared/seeds)");
        Set<String> seedFields = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| (data(?:\\.[A-Za-z.\\[\\]]+)?|object) \\|", Pattern.MULTILINE)
                .matcher(Files.readString(seed));
        while (m.find()) {
            seedFields.add(m.group(1));
        }
        String metronome = createMetronome(alice);
        String id = startRun(alice, metronome, "{\"input\": {\"items\": [{\"price\": 5}]}}").get("id").asText();
        awaitStatus(alice, metronome, id, "completed");
        JsonNode timeline = alice.get("/v1/metronomes/" + metronome + "/runs/" + id + "/timeline").json();

        Set<String> responseFields = new TreeSet<>();
        collect(timeline, "", seedFields, responseFields);
        Set<String> expected = new TreeSet<>(seedFields);
        expected.add("nextCursor"); // the paged timeline's addition to the seed
        expected.add("data.run.activeNodeCount"); // the run's: whether a pause or a cancel is still draining
        // the run's controls (issue 15): its deadline and how it counts, breakpoints, budget and cost, its pauses
        List.of("deadlineAt", "timeoutPolicy", "pauseBefore", "budgetCt", "costCt", "pausedAt", "pausedMs", "pauseCause",
                        "schedule")
                .forEach(f -> expected.add("data.run." + f));
        expected.add("data.run.redriveCount"); // redrive and rerun (issue 15): how often it was redriven
        expected.add("data.run.rerunOf"); // and the run it reruns
        expected.add("data.lastEventId"); // where this read stands in the run's events, to follow on live from
        expected.add("data.steps[].afterRunEnded"); // an attempt that finished by itself after its run had ended
        assertThat(responseFields).isEqualTo(expected);
    }

    /** Field paths in the seed's notation, descending only where the seed lists sub-fields. */
    private static void collect(JsonNode node, String prefix, Set<String> seed, Set<String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
                out.add(path);
                boolean seedGoesDeeper = seed.stream().anyMatch(f -> f.startsWith(path + ".") || f.startsWith(path + "[]."));
                if (seedGoesDeeper) {
                    if (e.getValue().isArray()) {
                        e.getValue().forEach(item -> collect(item, path + "[]", seed, out));
                    } else {
                        collect(e.getValue(), path, seed, out);
                    }
                }
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
