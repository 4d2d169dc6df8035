package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.metronome.domain.ApiException;
import io.metronome.domain.AuditEvent;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.domain.Times;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import io.metronome.testing.MovableClock;
import io.metronome.testing.RunItemVersions;
import io.metronome.testing.TestStack;
import io.metronome.domain.RunEvent;
import io.metronome.store.RunRepository;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static io.metronome.testing.Harness.assertConsistent;
import static io.metronome.testing.Harness.lastStatusByNode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Breakpoints, clock policies under pause and cost budgets, against the emulators with the real SDK. Where time
 * matters the engine runs on a {@link MovableClock}, and a delayed message's arrival is played by handing the
 * worker that message once the clock is where the queue would have delivered it.
 */
class RunControlsTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private static List<AuditEvent> audits(Harness h, Run r, String action) {
        return h.timeline(r).auditEvents().stream().filter(e -> e.action().equals(action)).toList();
    }

    private static Run resume(Harness h, Run r, String body) {
        return h.engine.runService.resume(r.userId(), r.metronomeId(), r.id(), body == null ? null : Json.read(body));
    }

    private static Run pause(Harness h, Run r) {
        return h.engine.runService.pause(r.userId(), r.metronomeId(), r.id(), Json.read("{\"reason\": \"hold\"}"));
    }

    // ---------------------------------------------------------------- breakpoints

    @Test
    void aBreakpointParksBeforeItsNodeWhoseSideEffectHappensOnlyAfterResumeAndOnce() {
        RunItemVersions versions = new RunItemVersions(TestStack.get().plainDynamo, TestStack.get().tables.runs());
        Harness h = Harness.observedBy(versions);
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "prep", "type": "transform", "config": {"expression": "1"}},
                               {"id": "call", "type": "http", "config": {"method": "POST", "url": "%s"}},
                               {"id": "after", "type": "transform", "config": {"expression": "nodes.call.status"}}],
                     "edges": [{"from": "prep", "to": "call"}, {"from": "call", "to": "after"}]}"""
                    .formatted(endpoint.url("/charge")));
            Run run = h.start(m, "{\"pauseBefore\": [\"call\"]}");
            assertThat(run.controls().pauseBefore()).containsExactly("call");

            Run paused = h.awaitStatus(run, RunStatus.PAUSED);
            h.pump.runFor(Duration.ofSeconds(2)); // however long it waits, the call is not made
            assertThat(endpoint.hits()).isZero();
            assertThat(paused.pause().cause().get("reason").asText()).isEqualTo("breakpoint");
            var t = h.timeline(run);
            assertThat(lastStatusByNode(t)).containsEntry("prep", StepStatus.COMPLETED)
                    .containsEntry("call", StepStatus.PAUSED).doesNotContainKey("after");
            assertThat(t.steps()).filteredOn(s -> s.nodeId().equals("call")).singleElement()
                    .satisfies(s -> assertThat(s.metadata().get("pausedBefore").asText()).isEqualTo("breakpoint"));
            List<AuditEvent> parked = audits(h, run, "run.paused");
            assertThat(parked).singleElement().satisfies(e -> {
                assertThat(e.payload().get("checkpoint").asText()).isEqualTo("call");
                assertThat(e.payload().get("reason").asText()).isEqualTo("breakpoint");
                assertThat(e.payload().get("nodeId").asText()).isEqualTo("call");
            });
            assertConsistent(t);

            resume(h, run, null);
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);
            assertThat(done.output().asInt()).isEqualTo(200);
            assertThat(endpoint.hits()).as("the node ran once, after the resume").isEqualTo(1);
            assertThat(audits(h, run, "run.paused")).as("it fired once: not again on resume").hasSize(1);
            assertThat(done.pause().cause()).isNull();
            assertConsistent(h.timeline(done));

            // The run's events, read off its item's versions as the stream delivers them: the pause before the
            // call, with its reason, then the call's start only after the resume
            List<String> events = new java.util.ArrayList<>();
            Run before = null;
            for (var image : versions.versions(run.id()).values()) {
                Run after = RunRepository.fromImage(image);
                for (RunEvent e : RunEvents.between(before, after)) {
                    String node = e.fields().path("nodeId").asText("");
                    String reason = e.fields().path("reason").asText("");
                    events.add(e.type().wire() + (node.isEmpty() ? "" : " " + node) + (reason.isEmpty() ? "" : " " + reason));
                }
                before = after;
            }
            assertThat(events).containsSubsequence("step.completed prep", "workflow.pausing",
                    "workflow.paused call breakpoint", "workflow.resumed", "step.started call", "step.completed call",
                    "workflow.completed");
            assertThat(events.indexOf("step.started call")).isGreaterThan(events.indexOf("workflow.resumed"));
        }
    }

    @Test
    void breakpointsSetWhileRunningHoldANodeParkedByAPauseAndAreValidated() throws Exception {
        Harness h = new Harness(Duration.ofSeconds(10));
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().holdRequests()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"}},
                               {"id": "next", "type": "transform", "config": {"expression": "2"}}],
                     "edges": [{"from": "call", "to": "next"}]}""".formatted(endpoint.url("/slow")));
            Run run = h.start(m, "{}");
            var service = h.engine.runService;
            assertThatThrownBy(() -> service.setBreakpoints(run.userId(), run.metronomeId(), run.id(),
                    Json.read("{\"pauseBefore\": [\"next\", \"nope\", 3]}")))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.details()).extracting(ApiException.ErrorDetail::path)
                                .containsExactly("pauseBefore[1]", "pauseBefore[2]");
                    });
            assertThatThrownBy(() -> h.start(m, "{\"pauseBefore\": [\"call[0]\"]}"))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
            assertThatThrownBy(() -> h.start(m, "{\"timeoutPolicy\": \"sometimes\", \"budgetCt\": -1}"))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.details()).hasSize(2));

            // Paused by a user while the call is in flight: the next node parks once the call is done
            CompletableFuture<Void> worker = CompletableFuture.runAsync(h.pump::once);
            assertThat(endpoint.awaitFirstRequest(20)).isTrue();
            pause(h, run);
            endpoint.release();
            worker.get();
            h.pump.until(() -> h.run(run).node("next") != null && h.run(run).pauseSettled(), Duration.ofSeconds(10),
                    "next to park");
            Run set = service.setBreakpoints(run.userId(), run.metronomeId(), run.id(),
                    Json.read("{\"pauseBefore\": [\"next\"]}"));
            assertThat(set.controls().pauseBefore()).containsExactly("next");
            assertThat(service.setBreakpoints(run.userId(), run.metronomeId(), run.id(),
                    Json.read("{\"pauseBefore\": [\"next\"]}")).rev()).as("the same set: unchanged").isEqualTo(set.rev());

            // Resumed, the parked node meets its breakpoint and the run pauses again, for it
            resume(h, run, null);
            h.pump.until(() -> audits(h, run, "run.paused").size() == 2, Duration.ofSeconds(20), "the breakpoint's pause");
            assertThat(h.run(run).status()).isEqualTo(RunStatus.PAUSED);
            List<AuditEvent> paused = audits(h, run, "run.paused");
            assertThat(paused.get(0).payload().get("reason").asText()).isEqualTo("requested");
            assertThat(paused.get(1).payload().get("reason").asText()).isEqualTo("breakpoint");
            assertThat(paused.get(1).payload().get("checkpoint").asText()).isEqualTo("next");
            assertThat(audits(h, run, "run.breakpoints_set")).singleElement()
                    .satisfies(e -> assertThat(e.payload().get("pauseBefore").toString()).isEqualTo("[\"next\"]"));
            resume(h, run, null);
            assertThat(h.awaitStatus(run, RunStatus.COMPLETED).output().asInt()).isEqualTo(2);
            assertThat(endpoint.hits()).isEqualTo(1);
            assertThatThrownBy(() -> service.setBreakpoints(run.userId(), run.metronomeId(), run.id(),
                    Json.read("{\"pauseBefore\": []}"))).hasMessageContaining("has not ended");
        }
    }

    @Test
    void aBreakpointReachedWhileAnotherNodeRunsPausesHonestlyOnceThatNodeHasSettled() throws Exception {
        Harness h = new Harness(Duration.ofSeconds(10));
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().holdRequests()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "s", "type": "transform", "config": {"expression": "1"}},
                               {"id": "a", "type": "http", "config": {"method": "GET", "url": "%s"}},
                               {"id": "b", "type": "transform", "config": {"expression": "2"}}],
                     "edges": [{"from": "s", "to": "a"}, {"from": "s", "to": "b"}]}""".formatted(endpoint.url("/slow")));
            Run run = h.start(m, "{\"pauseBefore\": [\"b\"]}");
            // The queue's deliveries played by hand, so that a is in flight when b is reached
            h.engine.worker.handle(NodeMessage.node(run.id(), "s", 1, null));
            CompletableFuture<Void> slow = CompletableFuture.runAsync(
                    () -> h.engine.worker.handle(NodeMessage.node(run.id(), "a", 1, null)));
            assertThat(endpoint.awaitFirstRequest(20)).isTrue();
            h.engine.worker.handle(NodeMessage.node(run.id(), "b", 1, null));

            Run draining = h.run(run);
            assertThat(draining.status()).isEqualTo(RunStatus.PAUSED);
            assertThat(draining.activeNodeCount()).as("a still runs").isEqualTo(1);
            assertThat(draining.pauseSettled()).isFalse();
            assertThat(audits(h, run, "run.paused")).as("not before a has settled").isEmpty();
            assertThat(audits(h, run, "run.pause_requested")).singleElement()
                    .satisfies(e -> assertThat(e.payload().get("reason").asText()).isEqualTo("breakpoint"));

            endpoint.release();
            slow.get();
            assertThat(audits(h, run, "run.paused")).singleElement().satisfies(e -> {
                assertThat(e.payload().get("reason").asText()).isEqualTo("breakpoint");
                assertThat(e.payload().get("checkpoint").asText()).isEqualTo("b");
            });
            assertThat(lastStatusByNode(h.timeline(run))).containsEntry("a", StepStatus.COMPLETED)
                    .containsEntry("b", StepStatus.PAUSED);
            resume(h, run, null);
            assertThat(h.awaitStatus(run, RunStatus.COMPLETED).status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(endpoint.hits()).isEqualTo(1);
            assertConsistent(h.timeline(run));
        }
    }

    @Test
    void aBreakpointOnAMapPausesBeforeTheMapStartsAndItsChildrenRunOnResume() {
        Harness h = new Harness(Duration.ofSeconds(10));
        Metronome m = h.metronome("""
                {"nodes": [{"id": "each", "type": "map", "config": {"items": "[1, 2, 3]",
                             "iterator": {"type": "transform", "config": {"expression": "item * 10"}}}}], "edges": []}""");
        Run run = h.start(m, "{\"pauseBefore\": [\"each\"]}");
        h.awaitStatus(run, RunStatus.PAUSED);
        h.pump.runFor(Duration.ofSeconds(1));
        var t = h.timeline(run);
        assertThat(t.steps()).extracting(Step::nodeId).as("no child has started").containsExactly("each");
        assertThat(lastStatusByNode(t)).containsEntry("each", StepStatus.PAUSED);
        resume(h, run, null);
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().get("outputs").toString()).isEqualTo("[10,20,30]");
        assertThat(audits(h, run, "run.paused")).hasSize(1);
        assertConsistent(h.timeline(done));
    }

    // ---------------------------------------------------------------- clock policies

    /** Runs a 60 s delay paused from 20 s to 40 s; returns the timeline once the run completed. */
    private static RunService.Timeline delayPausedInTheMiddle(String onPause, List<Instant> notDueAt) {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 60, "onPause": "%s"}},
                           {"id": "after", "type": "transform", "config": {"expression": "'done'"}}],
                 "edges": [{"from": "wait", "to": "after"}]}""".formatted(onPause));
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(10), "the delay to wait");
        assertThat(h.run(run).node("wait").dueAt()).isEqualTo(T0.plusSeconds(60));
        clock.set(T0.plusSeconds(20));
        pause(h, run);
        clock.set(T0.plusSeconds(40));
        resume(h, run, null);
        NodeMessage wake = NodeMessage.node(run.id(), "wait", 1, null); // the delay's message, as the queue delivers it
        for (Instant at : notDueAt) {
            clock.set(at);
            h.engine.worker.handle(wake);
            assertThat(h.run(run).node("wait")).as("still waiting at " + at).isNotNull();
        }
        Instant end = onPause.equals("freeze") ? T0.plusSeconds(80) : T0.plusSeconds(60);
        clock.set(end);
        h.engine.worker.handle(wake);
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        RunService.Timeline t = h.timeline(done);
        assertConsistent(t);
        return t;
    }

    @Test
    void aFrozenDelayPausedTwentySecondsEndsEightySecondsAfterItBegan() {
        RunService.Timeline t = delayPausedInTheMiddle("freeze", List.of(T0.plusSeconds(60), T0.plusSeconds(79)));
        Step wait = t.steps().get(0);
        assertThat(wait.startedAt()).isEqualTo(T0);
        assertThat(wait.output().get("waitedUntil").asText()).isEqualTo(Times.format(T0.plusSeconds(80)));
        assertThat(wait.completedAt()).isEqualTo(T0.plusSeconds(80));
        assertThat(t.run().pause().pausedMs()).isEqualTo(20_000);
    }

    @Test
    void aKeptDeadlinePausedTwentySecondsEndsAtSixty() {
        RunService.Timeline t = delayPausedInTheMiddle("keepDeadline", List.of(T0.plusSeconds(59)));
        Step wait = t.steps().get(0);
        assertThat(wait.output().get("waitedUntil").asText()).isEqualTo(Times.format(T0.plusSeconds(60)));
        assertThat(wait.completedAt()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void aFrozenDelayWhoseWakeUpCameDuringThePauseCountsItsRestFromTheResume() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 60, "onPause": "freeze"}}], "edges": []}""");
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(10), "the delay to wait");
        clock.set(T0.plusSeconds(50));
        pause(h, run);
        clock.set(T0.plusSeconds(70)); // the wake-up due at 60 arrives while paused: the delay parks
        h.engine.worker.handle(NodeMessage.node(run.id(), "wait", 1, null));
        assertThat(lastStatusByNode(h.timeline(run))).containsEntry("wait", StepStatus.PAUSED);
        clock.set(T0.plusSeconds(100));
        resume(h, run, null); // 10 s were left: due at 110
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").phase().name().equals("WAITING"),
                Duration.ofSeconds(10), "the delay to wait again");
        assertThat(h.run(run).node("wait").dueAt()).isEqualTo(T0.plusSeconds(110));
        clock.set(T0.plusSeconds(110));
        h.engine.worker.handle(NodeMessage.node(run.id(), "wait", 1, null));
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().get("waitedUntil").asText()).isEqualTo(Times.format(T0.plusSeconds(110)));
    }

    /** A run with a 10 s timeout, paused from 1 s to 31 s while its delay (due at 5 s) waits. */
    private static Run pausedLongerThanItsTimeout(Harness h, MovableClock clock, String policy) {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 5}},
                           {"id": "after", "type": "transform", "config": {"expression": "'done'"}}],
                 "edges": [{"from": "wait", "to": "after"}]}""");
        Run run = h.start(m, "{\"timeoutMs\": 10000, \"timeoutPolicy\": \"" + policy + "\"}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(10), "the delay to wait");
        clock.set(T0.plusSeconds(1));
        pause(h, run);
        clock.set(T0.plusSeconds(31));
        h.engine.worker.handle(NodeMessage.deadline(run.id(), T0.plusSeconds(10))); // the deadline's message, due while paused
        return h.run(run);
    }

    @Test
    void underExcludePausedAPauseLongerThanTheTimeoutDoesNotTimeTheRunOut() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Run run = pausedLongerThanItsTimeout(h, clock, "excludePaused");
        assertThat(run.status()).isEqualTo(RunStatus.PAUSED);
        assertThat(run.controls().timeoutPolicy()).isEqualTo(Run.TimeoutPolicy.EXCLUDE_PAUSED);

        Run resumed = resume(h, run, null);
        assertThat(resumed.deadlineAt()).as("moved on by the 30 s paused").isEqualTo(T0.plusSeconds(40));
        assertThat(audits(h, run, "run.resumed").get(0).payload().get("deadlineAt").asText())
                .isEqualTo(Times.format(T0.plusSeconds(40)));
        h.engine.worker.handle(NodeMessage.deadline(run.id(), T0.plusSeconds(10)));
        assertThat(h.run(run).status()).isEqualTo(RunStatus.RUNNING);
        h.engine.worker.handle(NodeMessage.node(run.id(), "wait", 1, null));
        assertThat(h.awaitStatus(run, RunStatus.COMPLETED).error()).isNull();
    }

    @Test
    void underExcludePausedActiveTimeStillTimesTheRunOut() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Run run = pausedLongerThanItsTimeout(h, clock, "excludePaused");
        resume(h, run, null);
        clock.set(T0.plusSeconds(40)); // 10 s of it active: 1 s before the pause, 9 s after
        h.engine.worker.handle(NodeMessage.deadline(run.id(), T0.plusSeconds(40)));
        Run failed = h.run(run);
        assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
        assertThat(failed.error()).contains("timed out");
    }

    @Test
    void underWallClockThePauseCountsAndTheRunTimesOutWhilePaused() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Run run = pausedLongerThanItsTimeout(h, clock, "wallClock");
        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        assertThat(run.error()).contains("timed out");
    }

    // ---------------------------------------------------------------- cost budget

    @Test
    void anActiveRunsBudgetIsSetByResumeAloneAndOnce() {
        Harness h = new Harness(Duration.ofSeconds(10));
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 600}}], "edges": []}""");
        Run run = h.start(m, "{\"budgetCt\": 5}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(10), "the delay to wait");
        Run raised = resume(h, run, "{\"budgetCt\": 12.5}");
        assertThat(raised.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(raised.controls().budgetCt()).isEqualTo(12.5);
        assertThat(resume(h, run, "{\"budgetCt\": 12.5}").rev()).as("the same budget again").isEqualTo(raised.rev());
        assertThat(audits(h, run, "run.budget_set")).singleElement().satisfies(e -> {
            assertThat(e.payload().get("budgetCt").asDouble()).isEqualTo(12.5);
            assertThat(e.payload().get("previousBudgetCt").asDouble()).isEqualTo(5.0);
        });
        assertThat(audits(h, run, "run.resumed")).isEmpty();
        h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), null);
    }

    @Test
    void aRunOfLlmNodesPausesAtItsBudgetNotOneNodeLaterAndGoesOnWhenItIsRaised() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/v1/chat/completions", exchange -> {
            exchange.getRequestBody().readAllBytes();
            int n = calls.incrementAndGet();
            // 1000 prompt tokens at 1 ct and 1000 completion tokens at 2 ct: 3 ct a call
            byte[] body = """
                    {"id": "c-%d", "model": "m", "choices": [{"message": {"content": "answer %d"}, "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": 1000, "completion_tokens": 1000}}""".formatted(n, n)
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        provider.start();
        try {
            Harness h = new Harness(Duration.ofSeconds(10), Clock.systemUTC(), Map.of(
                    "LLM_API_URL", "http://127.0.0.1:" + provider.getAddress().getPort() + "/v1/",
                    "LLM_API_KEY", "sk-test", "LLM_PRICE_INPUT_CT_PER_1K_TOKENS", "1",
                    "LLM_PRICE_OUTPUT_CT_PER_1K_TOKENS", "2"));
            StringBuilder nodes = new StringBuilder();
            StringBuilder edges = new StringBuilder();
            for (int i = 1; i <= 5; i++) {
                nodes.append(i > 1 ? "," : "").append("""
                        {"id": "ask%d", "type": "llm", "config": {"model": "m", "prompt": "'question %d'"}}""".formatted(i, i));
                if (i > 1) {
                    edges.append(i > 2 ? "," : "").append("{\"from\": \"ask%d\", \"to\": \"ask%d\"}".formatted(i - 1, i));
                }
                // a node that costs nothing between two that do: the budget does not hold it
                if (i == 3) {
                    nodes.append(",{\"id\": \"shape\", \"type\": \"transform\", \"config\": {\"expression\": \"1\"}}");
                    edges.append(",{\"from\": \"ask3\", \"to\": \"shape\"}");
                }
            }
            // a budget on the definition, the default for its runs
            Metronome m = h.metronome("{\"budgetCt\": 100, \"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}");
            Run byDefault = h.start(m, "{}");
            assertThat(byDefault.controls().budgetCt()).isEqualTo(100.0);
            h.engine.runService.cancel(byDefault.userId(), byDefault.metronomeId(), byDefault.id(), null);

            Run run = h.start(m, "{\"budgetCt\": 7}");
            Run paused = h.awaitStatus(run, RunStatus.PAUSED);
            h.pump.runFor(Duration.ofSeconds(2));
            // 3 ct, 6 ct (under 7: the third starts), 9 ct: reached, and the fourth does not start
            assertThat(calls.get()).isEqualTo(3);
            assertThat(h.run(run).costCt()).isEqualTo(9.0);
            var t = h.timeline(run);
            assertThat(lastStatusByNode(t)).containsEntry("ask3", StepStatus.COMPLETED)
                    .containsEntry("shape", StepStatus.COMPLETED).containsEntry("ask4", StepStatus.PAUSED)
                    .doesNotContainKey("ask5");
            assertThat(t.steps()).filteredOn(s -> s.status() == StepStatus.COMPLETED && s.nodeType().equals("llm"))
                    .allSatisfy(s -> assertThat(s.metadata().get("costCt").asDouble()).isEqualTo(3.0));
            assertThat(t.summary().totalCt()).isEqualTo(9.0);
            List<AuditEvent> parked = audits(h, run, "run.paused");
            assertThat(parked).singleElement().satisfies(e -> {
                assertThat(e.payload().get("reason").asText()).isEqualTo("budget");
                assertThat(e.payload().get("checkpoint").asText()).isEqualTo("ask4");
                assertThat(e.payload().get("costCt").asDouble()).isEqualTo(9.0);
                assertThat(e.payload().get("budgetCt").asDouble()).isEqualTo(7.0);
            });
            assertThat(paused.pause().cause().get("reason").asText()).isEqualTo("budget");
            assertConsistent(t);

            // Resuming without raising it, or raising it to no more than the cost, is refused
            assertThatThrownBy(() -> resume(h, run, null)).isInstanceOfSatisfying(ApiException.class,
                    e -> assertThat(e.status()).isEqualTo(409)).hasMessageContaining("budgetCt above 9");
            assertThatThrownBy(() -> resume(h, run, "{\"budgetCt\": 9}")).hasMessageContaining("budgetCt above 9");
            assertThatThrownBy(() -> resume(h, run, "{\"budgetCt\": \"lots\"}"))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));

            // Raised and resumed: the rest runs
            Run resumed = resume(h, run, "{\"budgetCt\": 20, \"reason\": \"approved by finance\"}");
            assertThat(resumed.controls().budgetCt()).isEqualTo(20.0);
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);
            assertThat(calls.get()).isEqualTo(5);
            assertThat(done.costCt()).isEqualTo(15.0);
            JsonNode resumedPayload = audits(h, run, "run.resumed").get(0).payload();
            assertThat(resumedPayload.get("budgetCt").asDouble()).isEqualTo(20.0);
            assertThat(resumedPayload.get("previousBudgetCt").asDouble()).isEqualTo(7.0);
            assertThat(audits(h, run, "run.paused")).hasSize(1);
            assertConsistent(h.timeline(done));
        } finally {
            provider.stop(0);
        }
    }
}
