package io.metronome.engine;

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
import io.metronome.testing.MovableClock;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.metronome.testing.Harness.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Scheduled pauses and automatic resumes, against the emulators with the real SDK. Where the proof is the time a
 * pause takes hold, the engine runs on the real clock and the schedule's message comes through the queue with its
 * real delay; elsewhere a {@link MovableClock} and the message handed to the worker play it.
 */
class ScheduledPauseTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    /** How late a pause or resume may be taken: the queue's delay is whole seconds, and the pump polls each second. */
    private static final Duration TICK = Duration.ofSeconds(5);

    private static List<AuditEvent> audits(Harness h, Run r, String action) {
        return h.timeline(r).auditEvents().stream().filter(e -> e.action().equals(action)).toList();
    }

    private static Run schedule(Harness h, Run r, String body) {
        return h.engine.runService.schedulePause(r.userId(), r.metronomeId(), r.id(), Json.read(body));
    }

    /** A run of one hour-long delay, once the delay waits. */
    private static Run waitingInADelay(Harness h) {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 3600}}], "edges": []}""");
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(10), "the delay to wait");
        return run;
    }

    private static String chain(int n) {
        StringBuilder nodes = new StringBuilder();
        StringBuilder edges = new StringBuilder();
        for (int i = 0; i < n; i++) {
            nodes.append(i > 0 ? "," : "").append("{\"id\": \"n%d\", \"type\": \"transform\", \"config\": {\"expression\": \"%d\"}}"
                    .formatted(i, i));
            if (i > 0) {
                edges.append(i > 1 ? "," : "").append("{\"from\": \"n%d\", \"to\": \"n%d\"}".formatted(i - 1, i));
            }
        }
        return "{\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}";
    }

    @Test
    void aScheduledPauseTakesHoldAtItsTimeNoNodeStartsAfterItAndItsResumeComesAtItsOwn() {
        Harness h = new Harness(Duration.ofSeconds(10), Clock.systemUTC());
        // Long enough to be busy at the pause's time on any machine: each node is several calls to the emulator
        Metronome m = h.metronome(chain(600));
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).summary().stepCount() >= 5, Duration.ofSeconds(20), "the chain to be under way");
        Instant at = Instant.now().plusMillis(1000);
        Instant resumeAt = at.plusSeconds(3);
        Run scheduled = schedule(h, run, """
                {"at": "%s", "resumeAt": "%s", "reason": "quiet hours"}""".formatted(at, resumeAt));
        assertThat(scheduled.pause().schedule().pauseAt()).isEqualTo(at.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(scheduled.status()).isEqualTo(RunStatus.RUNNING);

        h.pump.until(() -> !audits(h, run, "run.paused").isEmpty(), Duration.ofSeconds(30), "the scheduled pause");
        Run paused = h.run(run);
        assertThat(paused.status()).isEqualTo(RunStatus.PAUSED);
        assertThat(paused.pause().cause().get("reason").asText()).isEqualTo("scheduled");
        assertThat(paused.pause().schedule().pauseAt()).as("taken").isNull();
        assertThat(paused.pause().schedule().resumeAt()).isNotNull();
        AuditEvent asked = audits(h, run, "run.pause_requested").get(0);
        assertThat(asked.actorUserId()).as("who asked").isEqualTo(Harness.USER);
        assertThat(asked.payload().get("scheduled").asBoolean()).isTrue();
        assertThat(asked.payload().get("reason").asText()).isEqualTo("quiet hours");
        Duration pauseLag = Duration.between(at, paused.pause().since());
        assertThat(pauseLag).as("never early, at most a tick late").isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(TICK);
        List<Step> steps = h.timeline(run).steps();
        assertThat(steps).filteredOn(s -> s.startedAt() != null && !s.startedAt().isBefore(at))
                .as("no node started at or after the pause's time").isEmpty();
        assertThat(steps).filteredOn(s -> s.status() == StepStatus.COMPLETED).hasSizeBetween(5, 599);

        h.pump.until(() -> h.run(run).status() != RunStatus.PAUSED, Duration.ofSeconds(30), "the scheduled resume");
        AuditEvent resumed = audits(h, run, "run.resumed").get(0);
        assertThat(resumed.actorUserId()).isEqualTo(Harness.USER);
        assertThat(resumed.payload().get("scheduled").asBoolean()).isTrue();
        Duration resumeLag = Duration.between(resumeAt, resumed.createdAt());
        assertThat(resumeLag).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(TICK);
        assertThat(h.run(run).pause().schedule()).as("nothing left scheduled").isNull();

        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().asInt()).isEqualTo(599);
        var t = h.timeline(done);
        assertThat(t.steps()).filteredOn(s -> s.status() == StepStatus.COMPLETED).hasSize(600);
        assertConsistent(t);
        System.out.printf("scheduled pause: taken %d ms after its time; resume %d ms after its time%n",
                pauseLag.toMillis(), resumeLag.toMillis());
    }

    @Test
    void anIdleRunIsPausedByTheSchedulesOwnMessageAndACancelledResumeNeverComes() {
        Harness h = new Harness(Duration.ofSeconds(10), Clock.systemUTC());
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 600}},
                           {"id": "after", "type": "transform", "config": {"expression": "'done'"}}],
                 "edges": [{"from": "wait", "to": "after"}]}""");
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).node("wait") != null && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(10), "the delay to wait");
        Instant at = Instant.now().plusMillis(1500);
        schedule(h, run, "{\"at\": \"%s\", \"resumeAt\": \"%s\"}".formatted(at, at.plusSeconds(2)));
        h.pump.until(() -> h.run(run).status() == RunStatus.PAUSED, Duration.ofSeconds(20), "the scheduled pause");
        Run paused = h.run(run);
        Duration lag = Duration.between(at, paused.pause().since());
        assertThat(lag).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(TICK);
        System.out.printf("scheduled pause of an idle run: taken %d ms after its time%n", lag.toMillis());
        assertThat(audits(h, run, "run.paused")).singleElement()
                .satisfies(e -> assertThat(e.payload().get("checkpoint").asText()).isEqualTo("wait"));

        Run cancelled = h.engine.runService.cancelSchedule(run.userId(), run.metronomeId(), run.id());
        assertThat(cancelled.pause().schedule()).isNull();
        assertThat(audits(h, run, "run.schedule_cancelled")).singleElement().satisfies(e -> {
            assertThat(e.actorUserId()).isEqualTo(Harness.USER);
            assertThat(e.payload().get("resumeAt").asText()).isEqualTo(Times.format(at.plusSeconds(2)));
        });
        h.pump.runFor(Duration.ofSeconds(4)); // past the resume that was cancelled
        assertThat(h.run(run).status()).isEqualTo(RunStatus.PAUSED);
        assertThat(audits(h, run, "run.resumed")).isEmpty();
        assertThat(h.engine.runService.cancelSchedule(run.userId(), run.metronomeId(), run.id()).rev())
                .as("nothing scheduled: unchanged").isEqualTo(h.run(run).rev());
        h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), null);
    }

    @Test
    void pauseWithResumeAtResumesByItselfUnlessResumedByHandFirst() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Run run = waitingInADelay(h);
        Instant resumeAt = T0.plusSeconds(600);
        Run paused = h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(),
                Json.read("{\"reason\": \"deploy\", \"resumeAt\": \"%s\"}".formatted(resumeAt)));
        assertThat(paused.status()).isEqualTo(RunStatus.PAUSED);
        assertThat(paused.pause().schedule().resumeAt()).isEqualTo(resumeAt);
        assertThat(audits(h, run, "run.pause_requested").get(0).payload().get("resumeAt").asText())
                .isEqualTo(Times.format(resumeAt));

        // Early (a message a moment ahead of its time, or one of an earlier schedule): nothing happens
        clock.set(resumeAt.minusSeconds(5));
        h.engine.worker.handle(NodeMessage.schedule(run.id(), resumeAt.minusSeconds(5)));
        assertThat(h.run(run).status()).isEqualTo(RunStatus.PAUSED);

        // Moved later while paused: audited, and the earlier time does nothing
        Instant later = resumeAt.plusSeconds(600);
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(),
                Json.read("{\"resumeAt\": \"%s\"}".formatted(later)));
        assertThat(audits(h, run, "run.resume_scheduled")).singleElement()
                .satisfies(e -> assertThat(e.payload().get("resumeAt").asText()).isEqualTo(Times.format(later)));
        clock.set(resumeAt);
        h.engine.worker.handle(NodeMessage.schedule(run.id(), resumeAt));
        assertThat(h.run(run).status()).isEqualTo(RunStatus.PAUSED);

        clock.set(later);
        h.engine.worker.handle(NodeMessage.schedule(run.id(), later));
        h.engine.worker.handle(NodeMessage.schedule(run.id(), later)); // delivered twice
        Run resumed = h.run(run);
        assertThat(resumed.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(resumed.pause().schedule()).isNull();
        assertThat(resumed.pause().pausedMs()).isEqualTo(Duration.between(T0, later).toMillis());
        assertThat(audits(h, run, "run.resumed")).singleElement().satisfies(e -> {
            assertThat(e.actorUserId()).isEqualTo(Harness.USER);
            assertThat(e.payload().get("scheduled").asBoolean()).isTrue();
            assertThat(e.payload().get("reason").asText()).as("the pause's reason").isEqualTo("deploy");
        });

        // Paused again with a resume, then resumed by hand: the scheduled resume is gone with that pause
        Instant again = later.plusSeconds(600);
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(),
                Json.read("{\"resumeAt\": \"%s\"}".formatted(again)));
        h.engine.runService.resume(run.userId(), run.metronomeId(), run.id(), null);
        assertThat(h.run(run).pause().schedule()).isNull();
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), null); // a pause by hand, no resume
        clock.set(again);
        h.engine.worker.handle(NodeMessage.schedule(run.id(), again));
        assertThat(h.run(run).status()).as("the old resume does not end the new pause").isEqualTo(RunStatus.PAUSED);
        assertThat(audits(h, run, "run.resumed")).hasSize(2);
        assertConsistent(h.timeline(run));
    }

    @Test
    void aScheduledPauseFindingTheRunPausedKeepsItsResumeForThatPause() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Run run = waitingInADelay(h);
        Instant at = T0.plusSeconds(60);
        Instant resumeAt = T0.plusSeconds(120);
        schedule(h, run, "{\"at\": \"%s\", \"resumeAt\": \"%s\"}".formatted(at, resumeAt));
        assertThat(schedule(h, run, "{\"at\": \"%s\", \"resumeAt\": \"%s\"}".formatted(at, resumeAt)).rev())
                .as("the same schedule again: unchanged").isEqualTo(h.run(run).rev());
        assertThat(audits(h, run, "run.pause_scheduled")).singleElement().satisfies(e -> {
            assertThat(e.actorUserId()).isEqualTo(Harness.USER);
            assertThat(e.payload().get("pauseAt").asText()).isEqualTo(Times.format(at));
        });
        clock.set(T0.plusSeconds(30));
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), null); // by hand, before the window
        clock.set(at);
        h.engine.worker.handle(NodeMessage.schedule(run.id(), at));
        Run stillPaused = h.run(run);
        assertThat(stillPaused.pause().cause().get("reason").asText()).as("the pause it had").isEqualTo("requested");
        assertThat(stillPaused.pause().schedule().pauseAt()).isNull();
        assertThat(audits(h, run, "run.pause_requested")).hasSize(2).last().satisfies(e -> {
            assertThat(e.actorUserId()).as("who scheduled it").isEqualTo(Harness.USER);
            assertThat(e.payload().get("alreadyPaused").asBoolean()).isTrue();
        });
        assertThat(audits(h, run, "run.paused")).as("one pause, not two").hasSize(1);
        clock.set(resumeAt);
        h.engine.worker.handle(NodeMessage.schedule(run.id(), resumeAt));
        assertThat(h.run(run).status()).isEqualTo(RunStatus.RUNNING);
    }

    @Test
    void aClaimAtOrAfterTheScheduledTimeTakesThePauseWithoutWaitingForItsMessage() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Metronome m = h.metronome(chain(3));
        Run run = h.start(m, "{}");
        Instant at = T0.plusSeconds(60); // its message, on the queue with a real delay, does not come in this test
        schedule(h, run, "{\"at\": \"%s\"}".formatted(at));
        h.engine.worker.handle(NodeMessage.node(run.id(), "n0", 1, null));
        assertThat(h.run(run).node("n1")).as("handed on before the time").isNotNull();
        clock.set(at);
        h.engine.worker.handle(NodeMessage.node(run.id(), "n1", 1, null));
        Run paused = h.run(run);
        assertThat(paused.status()).isEqualTo(RunStatus.PAUSED);
        assertThat(paused.pause().since()).isEqualTo(at);
        assertThat(paused.node("n1").phase().name()).as("parked, not started").isEqualTo("PAUSED");
        assertThat(h.timeline(run).steps()).filteredOn(st -> st.startedAt() != null)
                .extracting(Step::nodeId).containsExactly("n0");
    }

    @Test
    void aNodeParkedByAnEarlierPauseDoesNotStartOnceAScheduledPauseIsDue() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Metronome m = h.metronome("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}},
                           {"id": "b", "type": "transform", "config": {"expression": "2"}}],
                 "edges": [{"from": "a", "to": "b"}]}""");
        Run run = h.start(m, "{}");
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), null); // before its first node ran
        h.pump.until(() -> h.run(run).node("a") != null && h.run(run).node("a").phase().name().equals("PAUSED"),
                Duration.ofSeconds(10), "the first node to park");
        Instant at = T0.plusSeconds(60);
        schedule(h, run, "{\"at\": \"%s\"}".formatted(at));
        clock.set(T0.plusSeconds(10));
        h.engine.runService.resume(run.userId(), run.metronomeId(), run.id(), null); // sends the parked node again
        clock.set(at); // and its message comes only once the scheduled pause is due
        h.pump.until(() -> h.run(run).status() == RunStatus.PAUSED, Duration.ofSeconds(10), "the scheduled pause");
        Run paused = h.run(run);
        assertThat(paused.pause().cause().get("reason").asText()).isEqualTo("scheduled");
        assertThat(paused.node("a").phase().name()).as("still parked").isEqualTo("PAUSED");
        assertThat(h.timeline(run).steps()).filteredOn(st -> st.startedAt() != null).as("no node started").isEmpty();
    }

    @Test
    void aScheduledResumeLeavesARunHeldAtItsBudgetPausedAndSaysWhy() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock, Map.of("LLM_API_URL", "http://127.0.0.1:9/v1/",
                "LLM_API_KEY", "sk-test"));
        Metronome m = h.metronome("""
                {"nodes": [{"id": "ask", "type": "llm", "config": {"model": "m", "prompt": "'q'"}}], "edges": []}""");
        Run run = h.start(m, "{\"budgetCt\": 0}");
        h.pump.until(() -> h.run(run).status() == RunStatus.PAUSED, Duration.ofSeconds(10), "the budget's pause");
        Instant resumeAt = T0.plusSeconds(60);
        assertThatThrownBy(() -> h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(),
                Json.read("{\"resumeAt\": \"%s\"}".formatted(resumeAt))))
                .as("a resume that could only be refused").isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat(e.status()).isEqualTo(409));
        // A window scheduled before anyone looked at the cost: its pause finds the run paused at its budget
        schedule(h, run, "{\"at\": \"%s\", \"resumeAt\": \"%s\"}".formatted(T0.plusSeconds(30), resumeAt));
        clock.set(T0.plusSeconds(30));
        h.engine.worker.handle(NodeMessage.schedule(run.id(), T0.plusSeconds(30)));
        clock.set(resumeAt);
        h.engine.worker.handle(NodeMessage.schedule(run.id(), resumeAt));
        Run held = h.run(run);
        assertThat(held.status()).isEqualTo(RunStatus.PAUSED);
        assertThat(held.pause().schedule()).isNull();
        assertThat(audits(h, run, "run.scheduled_resume_refused")).singleElement()
                .satisfies(e -> assertThat(e.payload().get("budgetCt").asDouble()).isZero());
        assertThat(audits(h, run, "run.resumed")).isEmpty();
    }

    @Test
    void badTimesAndEndedRunsAreRefusedAndChangeNothing() {
        MovableClock clock = new MovableClock(T0);
        Harness h = new Harness(Duration.ofSeconds(10), clock);
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 3600}}], "edges": []}""");
        Run run = h.start(m, "{}");
        long rev = h.run(run).rev();
        for (String[] c : new String[][]{
                {"{}", "at", "required"},
                {"{\"at\": \"tomorrow\"}", "at", "ISO-8601"},
                {"{\"at\": \"2026-12-01T12:00:00\"}", "at", "zone"},
                {"{\"at\": \"" + T0.minusSeconds(1) + "\"}", "at", "in the future"},
                {"{\"at\": \"" + T0.plus(Duration.ofDays(367)) + "\"}", "at", "at most 366 days ahead"},
                {"{\"at\": \"" + T0.plusSeconds(60) + "\", \"resumeAt\": \"" + T0.plusSeconds(60) + "\"}", "resumeAt", "after at"},
                {"{\"at\": \"" + T0.plusSeconds(60) + "\", \"when\": 1}", "when", ""}}) {
            assertThatThrownBy(() -> schedule(h, run, c[0])).as(c[0]).isInstanceOfSatisfying(ApiException.class, e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.details()).anySatisfy(d -> {
                    assertThat(d.path()).isEqualTo(c[1]);
                    assertThat(d.message()).contains(c[2]);
                });
            });
        }
        assertThatThrownBy(() -> h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(),
                Json.read("{\"resumeAt\": \"" + T0 + "\"}"))).isInstanceOf(ApiException.class);
        assertThat(h.run(run).rev()).isEqualTo(rev);
        assertThat(h.run(run).status()).isNotEqualTo(RunStatus.PAUSED);

        h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), null);
        assertThatThrownBy(() -> schedule(h, run, "{\"at\": \"" + T0.plusSeconds(60) + "\"}"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(409));
    }
}
