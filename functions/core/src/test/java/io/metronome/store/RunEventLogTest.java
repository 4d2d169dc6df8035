package io.metronome.store;

import io.metronome.domain.AuditEvent;
import io.metronome.domain.EventCursor;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.engine.RunEvents;
import io.metronome.engine.RunService;
import io.metronome.testing.Harness;
import io.metronome.testing.LocalHttpEndpoint;
import io.metronome.testing.RunItemVersions;
import io.metronome.testing.TestStack;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real runs driven by the worker (several node types, a pause while a node runs, a retry, an approval, a cancel
 * while a node runs, a failure), every version of their run items recorded as a stream would deliver them
 * ({@link RunItemVersions}), projected into events, stored in stream-like batches (some delivered again, some
 * only partly processed by DynamoDB), and read back after cursors chosen at random.
 */
class RunEventLogTest {
    private final TestStack stack = TestStack.get();
    private final RunItemVersions versions = new RunItemVersions(stack.plainDynamo, stack.tables.runs());
    private final Harness h = Harness.observedBy(versions);
    private final Random random = new Random(13);

    @Test
    void theEventsOfRealRunsReadBackAfterAnyCursorAreExactlyTheirEventsEachOnceInOrder() throws Exception {
        Run main;
        Run cancelled;
        Run failed;
        try (LocalHttpEndpoint slow = new LocalHttpEndpoint().holdRequests();
             LocalHttpEndpoint flaky = new LocalHttpEndpoint().answering(hit -> hit == 1 ? 503 : 200);
             LocalHttpEndpoint held = new LocalHttpEndpoint().holdRequests()) {
            main = pauseRetryAndApprove(slow, flaky);
            cancelled = cancelWhileANodeRuns(held);
            failed = failWhileADelayWaits();
        }

        BatchWrites batches = new BatchWrites(3);
        RunEventLog log = new RunEventLog(stack.dynamo(batches), stack.tables);
        Map<String, List<RunEvent>> expected = new HashMap<>();
        for (Run run : List.of(main, cancelled, failed)) {
            List<List<RunEvent>> perWrite = project(h.run(run));
            expected.put(run.id(), perWrite.stream().flatMap(List::stream).toList());
            deliverLikeAStream(log, perWrite);
        }
        assertThat(batches.shortChanged()).as("DynamoDB left items unprocessed, and they were sent again").isEqualTo(3);

        for (Run run : List.of(main, cancelled, failed)) {
            List<RunEvent> all = expected.get(run.id());
            assertThat(all).extracting(RunEvent::cursor).isSorted().doesNotHaveDuplicates();
            assertThat(readAfter(log, run.id(), null)).as("the whole stream of " + run.id()).isEqualTo(all);
            for (int i = 0; i < 25; i++) {
                EventCursor cursor = randomCursor(all);
                assertThat(readAfter(log, run.id(), cursor)).as("after " + cursor)
                        .isEqualTo(all.stream().filter(e -> cursor == null || e.cursor().compareTo(cursor) > 0).toList());
            }
            EventCursor last = all.get(all.size() - 1).cursor();
            RunEventLog.Page end = log.after(run.id(), last, 10);
            assertThat(end.events()).as("nothing after the last").isEmpty();
            assertThat(end.more()).isFalse();
            assertThat(end.last(last)).isEqualTo(last);
            assertAgreesWithTheRecords(run, all);
        }

        assertMainRun(main, expected.get(main.id()));
        assertCancelledRun(expected.get(cancelled.id()));
        assertFailedRun(expected.get(failed.id()));

        int events = expected.values().stream().mapToInt(List::size).sum();
        System.out.printf("events: %d from %d run item writes; %.0f write units for the %d event items put "
                        + "(re-delivered batches included): %.2f per event item%n", events,
                expected.keySet().stream().mapToInt(id -> versions.versions(id).size()).sum(), batches.units(),
                batches.items(), batches.units() / batches.items());
        assertThat(batches.units() / batches.items()).as("write units per event").isEqualTo(1.0);
    }

    // ---------------------------------------------------------------- the runs

    /**
     * start, then slow (paused while it runs), then a fan-out to flaky (fails once, retried) and a map of three,
     * joined, a short delay, an approval, the end; after the pause, two workers at once.
     */
    private Run pauseRetryAndApprove(LocalHttpEndpoint slow, LocalHttpEndpoint flaky) throws Exception {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "start", "type": "transform", "config": {"expression": "1"}},
                           {"id": "slow", "type": "http", "config": {"method": "GET", "url": "%s"}},
                           {"id": "flaky", "type": "http", "config": {"method": "GET", "url": "%s"},
                            "retry": {"maxAttempts": 2, "intervalSeconds": 0.2}},
                           {"id": "each", "type": "map", "config": {"items": "input.numbers", "maxConcurrency": 2,
                            "iterator": {"type": "transform", "config": {"expression": "item * 2"}}}},
                           {"id": "join", "type": "transform", "config": {"expression": "nodes.each.succeeded"}},
                           {"id": "wait", "type": "delay", "config": {"seconds": 0.3}},
                           {"id": "ask", "type": "approval", "config": {"prompt": "ship it?"}},
                           {"id": "end", "type": "transform", "config": {"expression": "nodes.join + 1"}}],
                 "edges": [{"from": "start", "to": "slow"}, {"from": "slow", "to": "flaky"}, {"from": "slow", "to": "each"},
                           {"from": "flaky", "to": "join"}, {"from": "each", "to": "join"}, {"from": "join", "to": "wait"},
                           {"from": "wait", "to": "ask"}, {"from": "ask", "to": "end"}]}"""
                .formatted(slow.url("/slow"), flaky.url("/flaky")));
        Run run = h.start(m, "{\"input\": {\"numbers\": [1, 2, 3]}}");
        // The worker is held inside slow (on another thread) while the run is paused
        CompletableFuture<Void> worker = CompletableFuture.runAsync(() -> h.pump.until(() -> h.run(run).pauseSettled(),
                Duration.ofSeconds(30), "the pause to take hold"));
        assertThat(slow.awaitFirstRequest(20)).isTrue();
        h.engine.runService.pause(run.userId(), run.metronomeId(), run.id(), Json.read("{\"reason\": \"look\"}"));
        slow.release();
        worker.get(40, TimeUnit.SECONDS);
        h.engine.runService.resume(run.userId(), run.metronomeId(), run.id(), null);
        inParallel(() -> h.run(run).status() == RunStatus.WAITING_APPROVAL, "the approval to be asked");
        h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(),
                Json.read("{\"approved\": true, \"comment\": \"fine\"}"));
        inParallel(() -> h.run(run).status() == RunStatus.COMPLETED, "the run to complete");
        assertThat(flaky.hits()).isEqualTo(2);
        return h.run(run);
    }

    /** Cancelled while its http node runs, with a delay waiting beside it. */
    private Run cancelWhileANodeRuns(LocalHttpEndpoint held) throws Exception {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "start", "type": "transform", "config": {"expression": "1"}},
                           {"id": "hold", "type": "http", "config": {"method": "GET", "url": "%s"}},
                           {"id": "nap", "type": "delay", "config": {"seconds": 30}},
                           {"id": "end", "type": "transform", "config": {"expression": "1"}}],
                 "edges": [{"from": "start", "to": "hold"}, {"from": "start", "to": "nap"},
                           {"from": "hold", "to": "end"}, {"from": "nap", "to": "end"}]}""".formatted(held.url("/held")));
        Run run = h.start(m, "{}");
        CompletableFuture<Void> worker = CompletableFuture.runAsync(() -> h.pump.until(() -> {
            Run now = h.run(run);
            return now.status() == RunStatus.CANCELLED && now.nodes().isEmpty() && now.closed();
        }, Duration.ofSeconds(30), "the cancelled run to settle"));
        assertThat(held.awaitFirstRequest(20)).isTrue();
        h.engine.runService.cancel(run.userId(), run.metronomeId(), run.id(), null);
        held.release();
        worker.get(40, TimeUnit.SECONDS);
        return h.run(run);
    }

    /** A fail node ends the run while a delay waits beside it. */
    private Run failWhileADelayWaits() throws Exception {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "start", "type": "transform", "config": {"expression": "1"}},
                           {"id": "nap", "type": "delay", "config": {"seconds": 30}},
                           {"id": "pause", "type": "delay", "config": {"seconds": 0.3}},
                           {"id": "boom", "type": "fail", "config": {"error": "no"}}],
                 "edges": [{"from": "start", "to": "nap"}, {"from": "start", "to": "pause"}, {"from": "pause", "to": "boom"}]}""");
        Run run = h.start(m, "{}");
        inParallel(() -> {
            Run now = h.run(run);
            return now.status() == RunStatus.FAILED && now.closed();
        }, "the run to fail and close");
        return h.run(run);
    }

    /** Two workers on the queue at once. */
    private void inParallel(BooleanSupplier done, String what) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(() -> h.pump.until(done, Duration.ofSeconds(30), what));
            var b = pool.submit(() -> h.pump.until(done, Duration.ofSeconds(30), what));
            a.get(40, TimeUnit.SECONDS);
            b.get(40, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- projecting and storing

    /** The events of each write to the run item, in the order of the writes (every version, none missed). */
    private List<List<RunEvent>> project(Run run) {
        TreeMap<Long, Map<String, AttributeValue>> seen = versions.versions(run.id());
        assertThat(seen.keySet()).as("every version of " + run.id() + " was seen")
                .containsExactlyElementsOf(LongStream.rangeClosed(1, run.rev()).boxed().toList());
        List<List<RunEvent>> perWrite = new ArrayList<>();
        Run before = null;
        for (Map<String, AttributeValue> image : seen.values()) {
            Run after = RunRepository.fromImage(image);
            List<RunEvent> events = RunEvents.between(before, after);
            for (int i = 0; i < events.size(); i++) {
                assertThat(events.get(i).id()).isEqualTo(after.rev() + "." + i);
            }
            assertThat(RunEvents.between(before, after)).as("the same versions, the same events").isEqualTo(events);
            perWrite.add(events);
            before = after;
        }
        return perWrite;
    }

    /**
     * Writes' events in batches of a few writes each, as a stream's records come; a third of the batches come
     * again right away, and some come again later, after others (a retried or replayed batch).
     */
    private void deliverLikeAStream(RunEventLog log, List<List<RunEvent>> perWrite) {
        List<List<RunEvent>> delivered = new ArrayList<>();
        for (int from = 0; from < perWrite.size(); ) {
            int to = Math.min(perWrite.size(), from + 1 + random.nextInt(8));
            List<RunEvent> batch = perWrite.subList(from, to).stream().flatMap(List::stream).toList();
            log.append(batch);
            if (random.nextInt(3) == 0) {
                log.append(batch);
            }
            delivered.add(batch);
            from = to;
        }
        for (int i = 0; i < 3; i++) {
            log.append(delivered.get(random.nextInt(delivered.size())));
        }
    }

    /** Every event after the cursor, read in pages of random sizes. */
    private List<RunEvent> readAfter(RunEventLog log, String runId, EventCursor after) {
        List<RunEvent> out = new ArrayList<>();
        EventCursor cursor = after;
        for (int pages = 0; ; pages++) {
            assertThat(pages).isLessThan(10_000);
            RunEventLog.Page page = log.after(runId, cursor, 1 + random.nextInt(12));
            out.addAll(page.events());
            cursor = page.last(cursor);
            if (!page.more()) {
                return out;
            }
        }
    }

    /** An event's id, or a position between events (one no event has), or none. */
    private EventCursor randomCursor(List<RunEvent> all) {
        RunEvent e = all.get(random.nextInt(all.size()));
        return switch (random.nextInt(4)) {
            case 0 -> new EventCursor(e.cursor().rev(), Math.min(EventCursor.MAX_INDEX, e.cursor().index() + 7));
            case 1 -> null;
            default -> e.cursor();
        };
    }

    // ---------------------------------------------------------------- what the events say

    /**
     * The step events agree with the step records: each step that started has one step.started (its node and
     * attempt), each step that ended on the run item one event of its outcome; and every pause audited has its
     * workflow.paused, with the audit's checkpoint.
     */
    private void assertAgreesWithTheRecords(Run run, List<RunEvent> events) {
        RunService.Timeline t = h.timeline(run);
        Map<String, Integer> fromSteps = new TreeMap<>();
        for (Step s : t.steps()) {
            if (s.startedAt() != null) {
                fromSteps.merge("step.started " + s.nodeId() + "#" + s.attempt(), 1, Integer::sum);
            }
            if (s.attempt() > 0 && (s.status() == StepStatus.COMPLETED || s.status() == StepStatus.FAILED
                    || s.status() == StepStatus.CANCELLED)) {
                fromSteps.merge("step." + s.status().wire() + " " + s.nodeId() + "#" + s.attempt(), 1, Integer::sum);
            }
        }
        Map<String, Integer> fromEvents = new TreeMap<>();
        events.stream().filter(e -> e.type() == RunEvent.Type.STEP_STARTED || e.type() == RunEvent.Type.STEP_COMPLETED
                        || e.type() == RunEvent.Type.STEP_FAILED || e.type() == RunEvent.Type.STEP_CANCELLED)
                .forEach(e -> fromEvents.merge(e.type().wire() + " " + e.fields().get("nodeId").asText() + "#"
                        + e.fields().get("attempt").asInt(), 1, Integer::sum));
        assertThat(fromEvents).as("step events of " + run.id()).isEqualTo(fromSteps);

        List<AuditEvent> pausedAudits = t.auditEvents().stream().filter(a -> a.action().equals("run.paused")).toList();
        List<RunEvent> pausedEvents = events.stream().filter(e -> e.type() == RunEvent.Type.WORKFLOW_PAUSED).toList();
        assertThat(pausedEvents).hasSameSizeAs(pausedAudits);
        for (int i = 0; i < pausedAudits.size(); i++) {
            assertThat(pausedEvents.get(i).fields().get("checkpoint")).isEqualTo(pausedAudits.get(i).payload().get("checkpoint"));
            assertThat(pausedEvents.get(i).fields().get("checkpoints")).isEqualTo(pausedAudits.get(i).payload().get("checkpoints"));
        }
        assertThat(events.stream().filter(e -> e.type() == RunEvent.Type.STEP_RETRY_SCHEDULED).count())
                .as("one per retry audited").isEqualTo(t.auditEvents().stream()
                        .filter(a -> a.action().equals("step.retry_scheduled")).count());
    }

    private static String say(RunEvent e) {
        String node = e.fields().path("nodeId").asText(null);
        return e.type().wire() + (node == null ? "" : " " + node + "#" + e.fields().get("attempt").asInt());
    }

    private static void assertInOrder(List<RunEvent> events, String... expected) {
        List<String> said = events.stream().map(RunEventLogTest::say).toList();
        int at = -1;
        for (String e : expected) {
            int next = said.subList(at + 1, said.size()).indexOf(e);
            assertThat(next).as(e + " after position " + at + " in " + said).isNotNegative();
            at += 1 + next;
        }
    }

    private static RunEvent first(List<RunEvent> events, RunEvent.Type type) {
        return events.stream().filter(e -> e.type() == type).findFirst().orElseThrow();
    }

    private static void assertMainRun(Run run, List<RunEvent> events) {
        assertInOrder(events, "workflow.queued", "workflow.started", "step.started start#1", "step.completed start#1",
                "step.started slow#1", "workflow.pausing", "step.completed slow#1", "workflow.paused",
                "workflow.resumed", "step.failed flaky#1", "step.retry_scheduled flaky#2", "step.started flaky#2",
                "step.completed flaky#2", "step.completed join#1", "approval.requested ask#1", "approval.decided ask#1",
                "step.completed ask#1", "step.completed end#1", "workflow.completed");
        assertInOrder(events, "step.started each#1", "step.started each[0]#1", "step.completed each[0]#1",
                "step.completed each#1");
        assertThat(first(events, RunEvent.Type.WORKFLOW_PAUSING).fields().get("inFlight"))
                .as("the node running when the pause came").isEqualTo(Json.read("[\"slow\"]"));
        RunEvent paused = first(events, RunEvent.Type.WORKFLOW_PAUSED);
        assertThat(paused.fields().get("checkpoint").asText()).as("where the run parked").isEqualTo("each");
        assertThat(paused.fields().get("checkpoints")).isEqualTo(Json.read("[\"each\", \"flaky\"]"));
        assertThat(first(events, RunEvent.Type.STEP_FAILED).fields().get("error").asText()).contains("503");
        RunEvent retry = first(events, RunEvent.Type.STEP_RETRY_SCHEDULED);
        assertThat(retry.fields().get("notBefore").isTextual()).isTrue();
        assertThat(first(events, RunEvent.Type.APPROVAL_REQUESTED).fields().get("prompt").asText()).isEqualTo("ship it?");
        RunEvent decided = first(events, RunEvent.Type.APPROVAL_DECIDED);
        assertThat(decided.fields().get("approved").asBoolean()).isTrue();
        assertThat(decided.fields().get("comment").asText()).isEqualTo("fine");
        assertThat(decided.fields().get("actorUserId").asText()).isEqualTo(Harness.USER);
        assertThat(events.get(events.size() - 1).type()).isEqualTo(RunEvent.Type.WORKFLOW_COMPLETED);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.runId()).isEqualTo(run.id());
            assertThat(e.metronomeId()).isEqualTo(run.metronomeId());
        });
    }

    private static void assertCancelledRun(List<RunEvent> events) {
        assertInOrder(events, "workflow.queued", "workflow.started", "step.started hold#1", "workflow.cancelling",
                "step.cancelled nap#1", "step.completed hold#1", "workflow.cancelled");
        assertThat(first(events, RunEvent.Type.WORKFLOW_CANCELLING).fields().get("inFlight")).isEqualTo(Json.read("[\"hold\"]"));
        RunEvent late = events.stream().filter(e -> say(e).equals("step.completed hold#1")).findFirst().orElseThrow();
        assertThat(late.fields().get("runEnded").asBoolean()).as("finished after the cancel: flagged").isTrue();
        assertThat(events.get(events.size() - 1).type()).isEqualTo(RunEvent.Type.WORKFLOW_CANCELLED);
        assertThat(events.stream().filter(e -> e.type() == RunEvent.Type.WORKFLOW_CANCELLED)).hasSize(1);
    }

    private static void assertFailedRun(List<RunEvent> events) {
        assertInOrder(events, "workflow.queued", "step.started nap#1", "step.started boom#1", "step.failed boom#1",
                "step.cancelled nap#1", "workflow.failed");
        assertThat(first(events, RunEvent.Type.STEP_FAILED).fields().get("error").asText()).isEqualTo("no");
        assertThat(first(events, RunEvent.Type.WORKFLOW_FAILED).fields().get("error").asText()).contains("no");
        assertThat(events.get(events.size() - 1).type()).isEqualTo(RunEvent.Type.WORKFLOW_FAILED);
    }

    // ---------------------------------------------------------------- DynamoDB leaving items unprocessed

    /**
     * Plays DynamoDB processing only part of a batch, for the first few batches of more than one item: half of
     * the items are kept out of the request and answered as unprocessed (so they are truly not written until sent
     * again). Also counts the write units the batches consumed, and the items they wrote.
     */
    static final class BatchWrites implements ExecutionInterceptor {
        private static final ExecutionAttribute<Map<String, List<WriteRequest>>> HELD = new ExecutionAttribute<>("held");
        private final AtomicInteger shortChanges;
        private final AtomicInteger shortChanged = new AtomicInteger();
        private double units;
        private int items;

        BatchWrites(int shortChanges) {
            this.shortChanges = new AtomicInteger(shortChanges);
        }

        @Override
        public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
            if (!(context.request() instanceof BatchWriteItemRequest b)) {
                return context.request();
            }
            Map<String, List<WriteRequest>> kept = new HashMap<>();
            Map<String, List<WriteRequest>> held = new HashMap<>();
            boolean shortChange = b.requestItems().values().stream().mapToInt(List::size).sum() > 1
                    && shortChanges.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
            b.requestItems().forEach((table, writes) -> {
                int keep = shortChange ? writes.size() / 2 : writes.size();
                kept.put(table, writes.subList(0, keep));
                if (keep < writes.size()) {
                    held.put(table, writes.subList(keep, writes.size()));
                }
            });
            if (shortChange) {
                shortChanged.incrementAndGet();
                attributes.putAttribute(HELD, held);
            }
            synchronized (this) {
                items += kept.values().stream().mapToInt(List::size).sum();
            }
            return b.toBuilder().requestItems(kept).returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        }

        @Override
        public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
            if (!(context.response() instanceof BatchWriteItemResponse r)) {
                return context.response();
            }
            synchronized (this) {
                units += r.consumedCapacity().stream().mapToDouble(ConsumedCapacity::capacityUnits).sum();
            }
            Map<String, List<WriteRequest>> held = attributes.getAttribute(HELD);
            return held == null ? r : r.toBuilder().unprocessedItems(held).build();
        }

        int shortChanged() {
            return shortChanged.get();
        }

        synchronized double units() {
            return units;
        }

        synchronized int items() {
            return items;
        }
    }
}
