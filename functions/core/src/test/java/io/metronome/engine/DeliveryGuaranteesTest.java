package io.metronome.engine;

import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.testing.CallCounter;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.metronome.testing.Harness.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;

/** Duplicated, reordered and interrupted deliveries change nothing that users can see. */
class DeliveryGuaranteesTest {
    private static final String GRAPH = """
            {"nodes": [
              {"id": "start", "type": "transform", "config": {"expression": "input.n"}},
              {"id": "call", "type": "http", "config": {"method": "POST", "url": "%s", "body": "{'n': nodes.start}"}},
              {"id": "left", "type": "transform", "config": {"expression": "nodes.start + 1"}},
              {"id": "right", "type": "transform", "config": {"expression": "nodes.start + 2"}},
              {"id": "join", "type": "transform", "config": {"expression": "nodes.left + nodes.right + nodes.call.status"}}
             ],
             "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "left"}, {"from": "call", "to": "right"},
                       {"from": "left", "to": "join"}, {"from": "right", "to": "join"}]}""";

    @Test
    void everyMessageDeliveredTwiceAndBatchesReversedGiveTheSameRunAndOneCallPerAttempt() {
        Harness h = new Harness();
        h.pump.duplicateEveryMessage().reverseEachBatch();
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint()) {
            Metronome m = h.metronome(GRAPH.formatted(endpoint.url("/effect")));
            Run run = h.start(m, "{\"input\": {\"n\": 10}}");

            Run done = h.awaitStatus(run, RunStatus.COMPLETED);

            assertThat(done.output().asInt()).isEqualTo(11 + 12 + 200);
            assertThat(endpoint.hits()).as("the http node's side effect").isEqualTo(1);
            var t = h.timeline(done);
            assertThat(t.steps()).hasSize(5).allMatch(s -> s.status() == StepStatus.COMPLETED && s.attempt() == 1);
            assertThat(t.auditEvents()).extracting(e -> e.action())
                    .containsExactly("run.created", "run.started", "run.completed");
            assertConsistent(t);
        }
    }

    @Test
    void joinPredecessorsFinishingTogetherStartTheJoinExactlyOnce() throws Exception {
        Harness h = new Harness();
        Metronome m = h.metronome("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}},
                           {"id": "b1", "type": "transform", "config": {"expression": "2"}},
                           {"id": "b2", "type": "transform", "config": {"expression": "3"}},
                           {"id": "b3", "type": "transform", "config": {"expression": "4"}},
                           {"id": "j", "type": "transform", "config": {"expression": "nodes.b1 + nodes.b2 + nodes.b3"}}],
                 "edges": [{"from": "a", "to": "b1"}, {"from": "a", "to": "b2"}, {"from": "a", "to": "b3"},
                           {"from": "b1", "to": "j"}, {"from": "b2", "to": "j"}, {"from": "b3", "to": "j"}]}""");
        Run run = h.start(m, "{}");
        // Three pumps at once, so the branches complete concurrently.
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            for (int i = 0; i < 3; i++) {
                pool.submit(() -> h.pump.until(() -> h.run(run).isTerminal(), Duration.ofSeconds(30), "the run"));
            }
            pool.shutdown();
            assertThat(pool.awaitTermination(40, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        Run done = h.run(run);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.output().asInt()).isEqualTo(9);
        assertThat(h.timeline(done).steps()).extracting(Step::nodeId).filteredOn("j"::equals).hasSize(1);
        assertConsistent(h.timeline(done));
    }

    /**
     * The worker running the http node dies right after each of its AWS calls in turn: after the claim, after
     * reading the output it refers to, after the step record, after keeping its output, after completing it on
     * the run, after sending the next messages.
     */
    @ParameterizedTest(name = "crash after call {0} of the http node")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6})
    void aWorkerThatCrashesBetweenItsWritesLosesNothingAndRecordsNothingTwice(int crashAfterCall) {
        Harness h = new Harness(Duration.ofSeconds(1));
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint()) {
            Metronome m = h.metronome(GRAPH.formatted(endpoint.url("/effect")));
            Run run = h.start(m, "{\"input\": {\"n\": 1}}");
            h.pump.until(() -> h.run(run).node("start") == null // final: off the run item
                    && h.run(run).node("call") != null, Duration.ofSeconds(20), "the http node to be next");
            assertThat(h.run(run).node("call").phase()).isEqualTo(io.metronome.domain.NodeState.Phase.PENDING);

            // Arm the crash for the http node's n-th call, then let the worker take its message.
            CallCountdown countdown = new CallCountdown(crashAfterCall);
            h.stack.counter.crashAfterNext(countdown);
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);

            assertThat(countdown.fired()).as("the crash happened").isTrue();
            assertThat(done.output().asInt()).isEqualTo(2 + 3 + 200);
            var t = h.timeline(done);
            assertConsistent(t);
            Map<String, List<Step>> byNode = t.steps().stream().collect(Collectors.groupingBy(Step::nodeId));
            assertThat(byNode.keySet()).containsExactlyInAnyOrder("start", "call", "left", "right", "join");
            byNode.forEach((node, steps) -> assertThat(steps.stream().filter(s -> s.status() == StepStatus.COMPLETED))
                    .as("completed steps of " + node).hasSize(1));
            if (crashAfterCall <= 2) {
                // Died holding the lease before the node's work: that attempt is recorded failed and counted, the
                // next one completes.
                assertThat(byNode.get("call")).extracting(Step::attempt, Step::status)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, StepStatus.FAILED),
                                org.assertj.core.groups.Tuple.tuple(2, StepStatus.COMPLETED));
                assertThat(byNode.get("call").get(0).error()).contains("lease");
            } else {
                // Died after the attempt was recorded completed: nothing is run again.
                assertThat(byNode.get("call")).hasSize(1);
                assertThat(endpoint.hits()).isEqualTo(1);
            }
        }
    }

    /** Fires on the n-th AWS call made after it is armed (the worker's calls for one message). */
    static final class CallCountdown implements java.util.function.Predicate<String> {
        private int left;
        private boolean fired;

        CallCountdown(int n) {
            this.left = n;
        }

        @Override
        public synchronized boolean test(String call) {
            if (call.startsWith("DynamoDb.GetItem") || call.startsWith("DynamoDb.Query")) {
                return false; // the test's own polling; the worker's path for this node makes no reads
            }
            if (--left == 0) {
                fired = true;
                return true;
            }
            return false;
        }

        synchronized boolean fired() {
            return fired;
        }
    }

    @Test
    void retriesBackOffAndThenSucceed() {
        Harness h = new Harness();
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().answering(hit -> hit <= 2 ? 503 : 200)) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"},
                                "retry": {"maxAttempts": 4, "intervalSeconds": 0.3, "backoffRate": 2}}], "edges": []}"""
                    .formatted(endpoint.url("/flaky")));
            Run run = h.start(m, "{}");
            h.pump.until(() -> h.run(run).nextAttemptAt() != null, Duration.ofSeconds(20), "a retry to be scheduled");
            assertThat(h.run(run).nextAttemptAt()).isAfter(h.run(run).createdAt());

            Run done = h.awaitStatus(run, RunStatus.COMPLETED);

            var t = h.timeline(done);
            assertThat(t.steps()).extracting(Step::attempt, Step::status).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(1, StepStatus.FAILED),
                    org.assertj.core.groups.Tuple.tuple(2, StepStatus.FAILED),
                    org.assertj.core.groups.Tuple.tuple(3, StepStatus.COMPLETED));
            assertThat(t.steps().get(0).error()).contains("HTTP 503");
            var retries = t.auditEvents().stream().filter(e -> e.action().equals("step.retry_scheduled")).toList();
            assertThat(retries).hasSize(2);
            // Backoff: the second wait is twice the first.
            long firstWait = java.time.Duration.between(t.steps().get(0).completedAt(),
                    io.metronome.domain.Times.parse(retries.get(0).payload().get("nextAttemptAt").asText())).toMillis();
            long secondWait = java.time.Duration.between(t.steps().get(1).completedAt(),
                    io.metronome.domain.Times.parse(retries.get(1).payload().get("nextAttemptAt").asText())).toMillis();
            assertThat(firstWait).isEqualTo(300);
            assertThat(secondWait).isEqualTo(600);
            assertThat(endpoint.idempotencyKeys()).containsExactly(done.id() + "/call/1", done.id() + "/call/2",
                    done.id() + "/call/3");
            assertThat(t.summary().totalAttempts()).isEqualTo(3);
            assertThat(done.attemptCount()).as("the attempt that succeeded").isEqualTo(3);
            assertThat(done.lockedBy()).as("no lock outlives the run").isNull();
            assertConsistent(t);
        }
    }

    /**
     * The claim's attempt condition: a stale message of attempt 1 (a redelivery) arriving while attempt 2 waits
     * out its backoff must not start attempt 2 early; only attempt 2's own message, when due, does.
     */
    @Test
    void aStaleMessageOfAnEarlierAttemptDoesNotStartTheRetryEarly() {
        Harness h = new Harness();
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().answering(hit -> hit == 1 ? 503 : 200)) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"},
                                "retry": {"maxAttempts": 3, "intervalSeconds": 3600}}], "edges": []}"""
                    .formatted(endpoint.url("/flaky")));
            Run run = h.start(m, "{}");
            h.pump.until(() -> h.run(run).nextAttemptAt() != null, Duration.ofSeconds(20), "a retry to be scheduled");

            h.engine.worker.handle(io.metronome.engine.NodeMessage.node(run.id(), "call", 1, null));
            h.engine.worker.handle(io.metronome.engine.NodeMessage.node(run.id(), "call", 1, null));

            assertThat(endpoint.hits()).as("attempt 2 is not started before its backoff ends").isEqualTo(1);
            Run waiting = h.run(run);
            assertThat(waiting.status()).isEqualTo(RunStatus.RUNNING);
            assertThat(waiting.node("call").attempt()).isEqualTo(2);
            assertThat(waiting.nextAttemptAt()).isAfter(java.time.Instant.now().plusSeconds(3000));
        }
    }

    @Test
    void aWorkerThatStopsBetweenSchedulingARetryAndSendingItStillGetsTheRetryRun() {
        Harness h = new Harness(Duration.ofSeconds(1));
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().answering(hit -> hit == 1 ? 503 : 200)) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"},
                                "retry": {"maxAttempts": 3, "intervalSeconds": 0.2}}], "edges": []}"""
                    .formatted(endpoint.url("/flaky")));
            Run run = h.start(m, "{}");
            // Transactions: the first starts the run, the second schedules the retry; the worker dies right
            // after that one, before sending the retry's message.
            java.util.concurrent.atomic.AtomicInteger transactions = new java.util.concurrent.atomic.AtomicInteger();
            h.stack.counter.crashAfterNext(call -> call.equals("DynamoDb.TransactWriteItems")
                    && transactions.incrementAndGet() == 2);
            h.pump.until(() -> h.run(run).node("call") != null && h.run(run).node("call").attempt() == 2,
                    Duration.ofSeconds(20), "the retry to be scheduled");

            Run done = h.awaitStatus(run, RunStatus.COMPLETED);

            assertThat(endpoint.hits()).isEqualTo(2);
            assertThat(h.timeline(done).steps()).extracting(Step::attempt, Step::status).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(1, StepStatus.FAILED),
                    org.assertj.core.groups.Tuple.tuple(2, StepStatus.COMPLETED));
        }
    }

    @Test
    void exhaustedRetriesFailTheRunWithTheNodesError() {
        Harness h = new Harness();
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint().answering(hit -> 500)) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"},
                                "retry": {"maxAttempts": 2, "intervalSeconds": 0.1}},
                               {"id": "never", "type": "transform", "config": {"expression": "1"}}],
                     "edges": [{"from": "call", "to": "never"}]}""".formatted(endpoint.url("/down")));

            Run failed = h.awaitStatus(h.start(m, "{}"), RunStatus.FAILED);

            assertThat(failed.error()).isEqualTo("node call failed after 2 attempts: GET " + endpoint.url("/down")
                    + " answered HTTP 500");
            assertThat(endpoint.hits()).isEqualTo(2);
            var t = h.timeline(failed);
            assertThat(t.steps()).extracting(Step::nodeId).containsExactly("call", "call");
            assertThat(t.auditEvents()).extracting(e -> e.action()).endsWith("step.retry_scheduled", "run.failed");
            assertConsistent(t);
        }
    }

    @Test
    void anOverdueRunFailsWithAnErrorSayingSo() {
        Harness h = new Harness();
        Metronome m = h.metronome("""
                {"nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 30}},
                           {"id": "after", "type": "transform", "config": {"expression": "1"}}],
                 "edges": [{"from": "wait", "to": "after"}]}""");

        Run failed = h.awaitStatus(h.start(m, "{\"timeoutMs\": 2000}"), RunStatus.FAILED);

        assertThat(failed.error()).isEqualTo("run timed out: it exceeded its timeoutMs of 2000 ms");
        var t = h.timeline(failed);
        assertThat(Harness.lastStatusByNode(t)).containsEntry("wait", StepStatus.CANCELLED).doesNotContainKey("after");
        assertConsistent(t);
    }
}
