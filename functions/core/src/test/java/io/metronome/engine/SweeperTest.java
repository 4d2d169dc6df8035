package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.observe.LogContext;
import io.metronome.observe.Output;
import io.metronome.store.RunRepository;
import io.metronome.store.Tables;
import io.metronome.testing.CallCounter;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import io.metronome.testing.MovableClock;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.metronome.testing.Harness.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The sweeper against the DynamoDB emulator and ElasticMQ, on tables of its own (it reads a whole index), with a
 * clock the test moves: runs whose messages were lost after their writes are found and finish.
 */
class SweeperTest {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final SweepSettings SETTINGS = SweepSettings.DEFAULTS;
    private static final String APPROVAL = """
            {"nodes": [{"id": "ask", "type": "approval", "config": {"prompt": "go on?"}},
                       {"id": "after", "type": "transform", "config": {"expression": "'approved'"}}],
             "edges": [{"from": "ask", "to": "after"}]}""";
    private static final String TWO_STEPS = """
            {"nodes": [{"id": "first", "type": "transform", "config": {"expression": "1"}},
                       {"id": "second", "type": "transform", "config": {"expression": "nodes.first + 1"}}],
             "edges": [{"from": "first", "to": "second"}]}""";

    private final MovableClock clock = new MovableClock(Instant.now());
    private final Harness h = Harness.withOwnTables(LEASE, clock);

    private Sweeper.Summary sweep() {
        return h.engine.sweeper.sweep(() -> true);
    }

    @Test
    void anApprovalWhoseMessageWasLostAfterItsWriteIsSentAgainOneSweepPeriodLaterAndTheRunCompletes() {
        Metronome m = h.metronome(APPROVAL);
        Run run = h.start(m, "{}");
        h.awaitStatus(run, RunStatus.WAITING_APPROVAL);

        h.stack.counter.failNext("Sqs.SendMessage"::equals);
        Throwable refused = catchThrowable(() -> h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(),
                Json.read("{\"approved\": true}")));
        assertThat(rootCause(refused)).as("the send after the decision's write").isInstanceOf(CallCounter.Failure.class);
        Run decided = h.run(run);
        assertThat(decided.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(decided.node("ask").phase()).isEqualTo(Phase.DECIDED);
        assertThat(h.pump.once()).as("nothing is on its way").isZero();

        clock.advance(SETTINGS.staleAfter().minusSeconds(1));
        assertThat(sweep().messagesSent()).as("not looked at before its time").isZero();
        clock.advance(Duration.ofSeconds(1));
        Sweeper.Summary s = sweep();

        assertThat(s.runsRedispatched()).isEqualTo(1);
        assertThat(s.messagesSent()).isEqualTo(1);
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().asText()).isEqualTo("approved");
        assertConsistent(h.timeline(done));
    }

    @Test
    void aResumeWhoseMessageWasLostAfterItsWriteIsSentAgainOneSweepPeriodLaterAndTheRunCompletes() {
        Metronome m = h.metronome(TWO_STEPS);
        Run run = h.start(m, "{}");
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), null);
        h.pump.until(() -> h.run(run).pauseSettled(), Duration.ofSeconds(20), "the first node to park");

        h.stack.counter.failNext("Sqs.SendMessage"::equals);
        Throwable refused = catchThrowable(() -> h.engine.runService.resume(run.userId(), run.metronomeId(), run.id(), null));
        assertThat(rootCause(refused)).isInstanceOf(CallCounter.Failure.class);
        Run resumed = h.run(run);
        assertThat(resumed.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(resumed.node("first").phase()).isEqualTo(Phase.PAUSED);
        assertThat(h.pump.once()).isZero();

        clock.advance(SETTINGS.staleAfter());
        Sweeper.Summary s = sweep();

        assertThat(s.runsRedispatched()).isEqualTo(1);
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(done.output().asInt()).isEqualTo(2);
        assertConsistent(h.timeline(done));
    }

    @Test
    void aNodeWhoseWorkerStoppedAndWhoseMessageIsGoneIsTakenOverAfterItsLeaseAndRunsExactlyOnceMore() throws Exception {
        try (LocalHttpEndpoint endpoint = new LocalHttpEndpoint()) {
            Metronome m = h.metronome("""
                    {"nodes": [{"id": "call", "type": "http", "config": {"method": "POST", "url": "%s"}}], "edges": []}"""
                    .formatted(endpoint.url("/effect")));
            Run run = h.start(m, "{}");
            // The worker makes the call, then stops before it records it: the node stays held under its lease.
            h.stack.counter.failNext("DynamoDb.PutItem"::equals);
            h.pump.until(() -> h.pump.failed() == 1, Duration.ofSeconds(20), "the worker to stop after its call");
            assertThat(endpoint.hits()).isEqualTo(1);
            NodeState held = h.run(run).node("call");
            assertThat(held.phase()).isEqualTo(Phase.RUNNING);
            loseTheMessage();

            clock.set(held.leaseUntil().plus(SETTINGS.grace()).minusSeconds(1));
            assertThat(sweep().messagesSent()).as("its lease and grace not over yet").isZero();
            clock.set(held.leaseUntil().plus(SETTINGS.grace()));
            Sweeper.Summary s = sweep();

            assertThat(s.runsRedispatched()).isEqualTo(1);
            Run done = h.awaitStatus(run, RunStatus.COMPLETED);
            assertThat(endpoint.hits()).as("the node ran exactly once more").isEqualTo(2);
            var timeline = h.timeline(done);
            assertThat(timeline.steps()).extracting(Step::attempt, Step::status)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1, StepStatus.FAILED),
                            org.assertj.core.groups.Tuple.tuple(2, StepStatus.COMPLETED));
            assertConsistent(timeline);
        }
    }

    @Test
    void aReadyNodeWhoseMessagesNeverReachAWorkerIsSentAgainLessAndLessOftenUntilItsRunChangesAndThenAgainSoon() {
        Metronome m = h.metronome(TWO_STEPS);
        Run run = h.start(m, "{}");
        lose(); // its first message, and after it every copy the sweeper sends: none reaches a worker
        h.stack.counter.reset();

        // Six hours of ticks while the run stays as it was created.
        List<Instant> sends = ticks(Duration.ofHours(6), true);
        System.out.println("sweeper, a run that does not change for six hours: sent again " + sends.size()
                + " times (once a visit would be " + Duration.ofHours(6).dividedBy(TICK.multipliedBy(3)) + ")");
        assertThat(sends).as("a few tries, then about once an idle interval").hasSizeBetween(6, 9);
        assertThat(Duration.between(clock.instant().minus(Duration.ofHours(6)), sends.get(0)))
                .as("the first send, once it is overdue").isLessThanOrEqualTo(SETTINGS.grace().plus(TICK));
        assertBackingOff(sends);
        assertThat(h.run(run).node("first").phase()).isEqualTo(Phase.PENDING);
        assertThat(h.stack.counter.byOperation()).doesNotContainKey("Sqs.SendMessageBatch");

        // A copy reaches a worker: the first node runs (its successor's message lost in turn), the run has changed.
        List<Instant> next = ticks(Duration.ofHours(2), false);
        assertThat(next).hasSize(1);
        assertThat(h.pump.once()).isEqualTo(1);
        lose();
        Run moved = h.run(run);
        assertThat(moved.node("first")).isNull();
        assertThat(moved.node("second").phase()).isEqualTo(Phase.PENDING);

        // The visit already due finds the successor overdue, and the count starts again: a staleAfter, then twice that.
        List<Instant> after = ticks(Duration.ofHours(3), true);
        assertThat(after.size()).isGreaterThanOrEqualTo(3);
        assertThat(Duration.between(next.get(0), after.get(0))).as("the visit the last send scheduled")
                .isLessThanOrEqualTo(SETTINGS.idle().plus(TICK));
        assertBackingOff(after);

        // The next copy is let through: the run completes, each node having run once.
        assertThat(ticks(Duration.ofHours(2), false)).hasSize(1);
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);
        assertThat(h.timeline(done).steps()).extracting(Step::attempt).containsExactly(1, 1);
    }

    /** Each gap between sends at least the backed-off staleAfter of the sends before it, and within a tick of it. */
    private static void assertBackingOff(List<Instant> sends) {
        for (int i = 1; i < sends.size(); i++) {
            Duration gap = Duration.between(sends.get(i - 1), sends.get(i));
            Duration backoff = Sweep.backoff(SETTINGS, i - 1);
            assertThat(gap).as("gap " + i + " of " + sends).isGreaterThanOrEqualTo(backoff).isLessThan(backoff.plus(TICK));
        }
    }

    /** The sweeper's rate (SweepRateMinutes). */
    private static final Duration TICK = Duration.ofMinutes(5);

    /**
     * Sweeps once a tick for this long, or (unless {@code keepGoing}) until the first tick that sends; when
     * {@code andLose}, what each sweep sends is taken off the queue. Returns the ticks that sent (one message each).
     */
    private List<Instant> ticks(Duration span, boolean andLose) {
        List<Instant> sent = new ArrayList<>();
        Instant end = clock.instant().plus(span);
        while (clock.instant().isBefore(end)) {
            clock.advance(TICK);
            int before = h.stack.counter.byOperation().getOrDefault("Sqs.SendMessage", 0);
            Sweeper.Summary s = sweep();
            int calls = h.stack.counter.byOperation().getOrDefault("Sqs.SendMessage", 0) - before;
            assertThat(calls).as("SendMessage calls").isEqualTo(s.messagesSent()).isLessThanOrEqualTo(1);
            if (calls == 1) {
                sent.add(clock.instant());
                if (andLose) {
                    lose();
                } else {
                    return sent;
                }
            }
        }
        return sent;
    }

    /** Whatever is on the queue is taken off it, unread by any worker. */
    private void lose() {
        h.stack.plainSqs.purgeQueue(r -> r.queueUrl(h.queueUrl));
    }

    @Test
    void theSweepersLinesCarryTheRunAsFieldsOnlyWhileItIsVisited() {
        Metronome m = h.metronome(TWO_STEPS);
        Run run = h.start(m, "{}");
        lose();
        clock.advance(SETTINGS.staleAfter());
        List<Output.LogEvent> lines = new CopyOnWriteArrayList<>();
        LogContext.clear(); // as an invocation starts (the test's worker ran on this thread)
        Output.logsTo(lines::add);
        try {
            h.stack.counter.failNext("Sqs.SendMessage"::equals);
            assertThat(sweep().sendFailures()).isEqualTo(1);
            clock.advance(SETTINGS.staleAfter());
            assertThat(sweep().runsRedispatched()).isEqualTo(1);
        } finally {
            Output.reset();
        }

        List<JsonNode> sweeper = lines.stream().filter(l -> l.logger().equals(Sweeper.class.getName()))
                .map(l -> Json.read(l.line())).toList();
        assertThat(sweeper).extracting(l -> l.get("message").asText())
                .satisfiesExactly(failed -> assertThat(failed).contains("could not be sent first"),
                        sent -> assertThat(sent).contains("sent again: first (2 times in a row"));
        assertThat(sweeper).allSatisfy(l -> {
            assertThat(l.path(LogContext.RUN_ID).asText()).isEqualTo(run.id());
            assertThat(l.path(LogContext.METRONOME_ID).asText()).isEqualTo(m.id());
        });
        assertThat(LogContext.get(LogContext.RUN_ID)).as("cleared after the visit").isNull();
        assertThat(LogContext.get(LogContext.METRONOME_ID)).isNull();
        h.awaitStatus(run, RunStatus.COMPLETED);
    }

    @Test
    void twoSweepersOnTheSameDueRunsSendEachMessageOnce() throws Exception {
        Metronome m = h.metronome(TWO_STEPS);
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            runs.add(h.start(m, "{}"));
        }
        h.stack.plainSqs.purgeQueue(r -> r.queueUrl(h.queueUrl)); // every first message lost
        clock.advance(SETTINGS.staleAfter());
        // Each reads every page before either moves a run on: each run is contested.
        CyclicBarrier bothRead = new CyclicBarrier(2);
        ExecutionInterceptor meet = new ExecutionInterceptor() {
            @Override
            public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof BatchGetItemRequest) {
                    try {
                        bothRead.await(20, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("the other sweeper did not read the same page", e);
                    }
                }
            }
        };
        Sweeper a = new Sweeper(new RunRepository(h.stack.dynamo(meet), h.engine.tables), h.engine.dispatcher, SETTINGS, clock, () -> 0);
        Sweeper b = new Sweeper(new RunRepository(h.stack.dynamo(meet), h.engine.tables), h.engine.dispatcher, SETTINGS, clock, () -> 0);
        h.stack.counter.reset();

        CompletableFuture<Sweeper.Summary> first = CompletableFuture.supplyAsync(() -> a.sweep(() -> true));
        CompletableFuture<Sweeper.Summary> second = CompletableFuture.supplyAsync(() -> b.sweep(() -> true));
        Sweeper.Summary sa = first.get(60, TimeUnit.SECONDS);
        Sweeper.Summary sb = second.get(60, TimeUnit.SECONDS);

        var calls = h.stack.counter.byOperation();
        assertThat(sa.runsExamined() + sb.runsExamined()).as("both looked at every run").isEqualTo(40);
        assertThat(calls.get("Sqs.SendMessage")).as("one message per run").isEqualTo(20);
        assertThat(calls).doesNotContainKey("Sqs.SendMessageBatch");
        assertThat(sa.messagesSent() + sb.messagesSent()).isEqualTo(20);
        assertThat(calls.get("DynamoDb.UpdateItem(refused)")).as("the other's move of each run refused").isEqualTo(20);
        for (Run r : runs) {
            Run done = h.awaitStatus(r, RunStatus.COMPLETED);
            assertThat(h.timeline(done).steps()).extracting(Step::attempt).containsExactly(1, 1);
        }
    }

    @Test
    void theSweeperOnlyQueriesItsIndexAndLooksAtARunWaitingForAnApprovalOnceAnIdleInterval() {
        Metronome m = h.metronome(APPROVAL);
        Run run = h.start(m, "{}");
        h.awaitStatus(run, RunStatus.WAITING_APPROVAL);
        List<SdkRequest> requests = new CopyOnWriteArrayList<>();
        ExecutionInterceptor recorder = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                requests.add(context.request());
            }
        };
        Sweeper sweeper = new Sweeper(new RunRepository(h.stack.dynamo(recorder), h.engine.tables), h.engine.dispatcher,
                SETTINGS, clock);
        h.stack.counter.reset();

        List<Instant> visits = new ArrayList<>();
        Duration period = Duration.ofMinutes(5);
        for (int tick = 0; tick < 24; tick++) { // two hours of ticks
            clock.advance(period);
            Sweeper.Summary s = sweeper.sweep(() -> true);
            assertThat(s.messagesSent()).isZero();
            assertThat(s.finished()).isTrue();
            if (s.runsExamined() > 0) {
                visits.add(clock.instant());
            }
        }

        assertThat(visits).hasSize(2);
        System.out.println("sweeper, a run waiting for an approval: " + h.stack.counter.writeUnits() / visits.size()
                + " write units a visit (one an idle interval), " + queriesPerTick() + " queries a tick for the whole index");
        assertThat(Duration.between(visits.get(0), visits.get(1))).isGreaterThanOrEqualTo(SETTINGS.idle());
        assertThat(requests).extracting(r -> r.getClass().getSimpleName()).allMatch(name -> List.of(
                "QueryRequest", "BatchGetItemRequest", "UpdateItemRequest").contains(name)).noneMatch(n -> n.contains("Scan"));
        List<QueryRequest> queries = requests.stream().filter(QueryRequest.class::isInstance).map(QueryRequest.class::cast).toList();
        assertThat(queries).hasSize(24 * RunRepository.sweepShards().size())
                .allMatch(q -> Tables.RUNS_BY_SWEEP.equals(q.indexName()) && q.keyConditionExpression().startsWith("sweepShard = "));
        assertThat(requests.stream().filter(r -> !(r instanceof QueryRequest))).as("a read and a move per visit").hasSize(4);
        assertThat(h.stack.counter.byOperation().keySet()).noneMatch(c -> c.startsWith("Sqs."));
    }

    @Test
    void aSweepCutShortLeavesTheRestDueForTheNextTick() {
        Metronome m = h.metronome(TWO_STEPS);
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            runs.add(h.start(m, "{}"));
        }
        h.stack.plainSqs.purgeQueue(r -> r.queueUrl(h.queueUrl));
        clock.advance(SETTINGS.staleAfter());

        AtomicInteger pages = new AtomicInteger();
        Sweeper.Summary cut = h.engine.sweeper.sweep(() -> pages.incrementAndGet() <= 3);
        Sweeper.Summary rest = sweep();

        assertThat(cut.finished()).isFalse();
        assertThat(rest.finished()).isTrue();
        assertThat(cut.runsRedispatched()).isLessThan(12);
        assertThat(cut.runsRedispatched() + rest.runsRedispatched()).isEqualTo(12);
        runs.forEach(r -> h.awaitStatus(r, RunStatus.COMPLETED));
    }

    @Test
    void aRunThatEndedLeavesTheIndexAtItsNextVisit() {
        Metronome m = h.metronome(TWO_STEPS);
        Run run = h.start(m, "{}");
        h.awaitStatus(run, RunStatus.COMPLETED);
        clock.advance(SETTINGS.staleAfter());

        h.stack.counter.reset();
        assertThat(sweep().runsLeftIndex()).isEqualTo(1);
        System.out.println("sweeper, an ended run leaving the index: " + h.stack.counter.writeUnits() + " write units");
        clock.advance(Duration.ofDays(2));
        assertThat(sweep().runsExamined()).as("never looked at again").isZero();
    }

    private static int queriesPerTick() {
        return RunRepository.sweepShards().size();
    }

    /** The message the stopped worker left comes back once its visibility timeout is over: it is taken away. */
    private void loseTheMessage() {
        var back = h.stack.plainSqs.receiveMessage(r -> r.queueUrl(h.queueUrl).waitTimeSeconds(10)).messages();
        assertThat(back).hasSize(1);
        h.stack.plainSqs.deleteMessage(r -> r.queueUrl(h.queueUrl).receiptHandle(back.get(0).receiptHandle()));
        assertThat(h.pump.once()).isZero();
    }

    private static Throwable rootCause(Throwable t) {
        while (t != null && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
