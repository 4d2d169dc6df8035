package io.metronome.engine;

import io.metronome.domain.ApiException;
import io.metronome.domain.AuditEvent;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.metronome.testing.Harness.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;

/** Many clients pausing, resuming and cancelling one run at the same moment. */
class ControlStormTest {
    private static final Set<String> CALLS = Set.of("run.pause_requested", "run.resumed", "run.cancel_requested");

    @Test
    void theFinalStateMatchesTheLastAcceptedCallAndOnlyAcceptedCallsAreAudited() throws Exception {
        Harness h = new Harness();
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 120}},
                           {"id": "after", "type": "transform", "config": {"expression": "1"}}],
                 "edges": [{"from": "wait", "to": "after"}]}""");
        Run run = h.start(m, "{}");
        h.pump.until(() -> h.run(run).status() == RunStatus.RUNNING && h.run(run).node("wait").dueAt() != null,
                Duration.ofSeconds(20), "the run to be waiting in its delay");

        int threads = 8;
        int callsEach = 12;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<String>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            results.add(pool.submit(() -> {
                Random random = new Random(thread);
                List<String> refused = new ArrayList<>();
                go.await();
                for (int i = 0; i < callsEach; i++) {
                    String reason = "call-" + thread + "-" + i;
                    var body = Json.read("{\"reason\": \"" + reason + "\"}");
                    int pick = random.nextInt(20);
                    try {
                        if (thread == 0 && i == callsEach - 4) {
                            h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), body);
                        } else if (pick % 2 == 0) {
                            h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), body);
                        } else {
                            h.engine.runService.resume(run.userId(), run.metronomeId(), run.id(), body);
                        }
                    } catch (ApiException e) {
                        assertThat(e.status()).isEqualTo(409); // resume after the cancel
                        refused.add(reason);
                    }
                }
                return refused;
            }));
        }
        go.countDown();
        List<String> refused = new ArrayList<>();
        for (Future<List<String>> f : results) {
            refused.addAll(f.get());
        }
        pool.shutdown();

        Run finalRun = h.run(run);
        List<AuditEvent> trail = h.timeline(run).auditEvents();
        List<AuditEvent> accepted = trail.stream().filter(e -> CALLS.contains(e.action())).toList();
        List<String> reasons = accepted.stream().map(e -> e.payload().get("reason").asText()).toList();

        // Every accepted call is audited exactly once; no refused call is.
        assertThat(reasons).doesNotHaveDuplicates();
        assertThat(reasons).doesNotContainAnyElementsOf(refused);
        assertThat(accepted.size()).as("some calls were accepted").isGreaterThan(1);

        // Replaying the accepted calls in audit order through the state machine gives the final state.
        RunStatus state = RunStatus.RUNNING;
        for (AuditEvent e : accepted) {
            switch (e.action()) {
                case "run.pause_requested" -> {
                    assertThat(state).as("pause accepted from").isIn(RunStatus.RUNNING, RunStatus.QUEUED,
                            RunStatus.WAITING_APPROVAL);
                    state = RunStatus.PAUSED;
                }
                case "run.resumed" -> {
                    assertThat(state).as("resume accepted from").isEqualTo(RunStatus.PAUSED);
                    state = RunStatus.RUNNING;
                }
                default -> {
                    assertThat(state.isTerminal()).as("cancel accepted from a live run").isFalse();
                    state = RunStatus.CANCELLED;
                }
            }
        }
        assertThat(finalRun.status()).isEqualTo(state);
        long cancelledEvents = trail.stream().filter(e -> e.action().equals("run.cancelled")).count();
        assertThat(cancelledEvents).isEqualTo(state == RunStatus.CANCELLED ? 1 : 0);
        assertConsistent(h.timeline(run));
        System.out.printf("control storm: %d calls, %d accepted, %d refused with 409, final state %s%n",
                threads * callsEach, accepted.size(), refused.size(), finalRun.status().wire());
    }
}
