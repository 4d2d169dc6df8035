package io.metronome.store;

import io.metronome.domain.EventCursor;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.RunEvent;
import io.metronome.testing.TestStack;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A follower is never handed an event while an earlier one of its run may still become readable: the log is
 * written revision by revision, and read twice with no hole let through.
 */
class RunEventLogOrderTest {
    private static final Instant AT = Instant.parse("2026-12-01T10:00:00Z");
    private final TestStack stack = TestStack.get();

    private static RunEvent event(String runId, long rev, int index) {
        return new RunEvent(new EventCursor(rev, index), RunEvent.Type.STEP_STARTED, runId, "met_m", AT,
                Json.object().put("nodeId", "n" + rev).put("attempt", 1));
    }

    private static List<String> ids(List<RunEvent> events) {
        return events.stream().map(e -> e.runId().substring(0, 5) + ":" + e.id()).toList();
    }

    @Test
    void aBatchNeverHoldsTwoRevisionsOfOneRunAndBatchesFollowEachRunsOrder() {
        List<RunEvent> events = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            events.add(event("run_a", 7, i)); // one write with 30 events: more than a batch
        }
        events.add(event("run_a", 8, 0));
        events.add(event("run_a", 8, 1));
        events.add(event("run_b", 3, 0));
        events.add(event("run_b", 4, 0));
        var sorted = new java.util.TreeMap<String, RunEvent>();
        events.forEach(e -> sorted.put(e.runId() + "/" + RunEventLog.sortKey(e.cursor()), e));

        List<List<RunEvent>> batches = RunEventLog.batches(sorted.values());

        assertThat(batches).extracting(List::size).containsExactly(25, 5, 3, 1);
        assertThat(ids(batches.get(1))).endsWith("run_a:7.29");
        assertThat(ids(batches.get(2))).as("runs apart may share a batch").containsExactly("run_a:8.0", "run_a:8.1", "run_b:3.0");
        assertThat(ids(batches.get(3))).containsExactly("run_b:4.0");
        assertThat(batches.stream().flatMap(List::stream).toList()).isEqualTo(List.copyOf(sorted.values()));
    }

    @Test
    void theWritesGoOutInThatOrderOneRevisionOfARunEach() {
        List<Map<String, List<String>>> sent = new ArrayList<>();
        RunEventLog log = new RunEventLog(stack.dynamo(new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof BatchWriteItemRequest b) {
                    Map<String, List<String>> revisionsByRun = new java.util.TreeMap<>();
                    b.requestItems().values().stream().flatMap(List::stream).map(WriteRequest::putRequest)
                            .forEach(p -> revisionsByRun.computeIfAbsent(p.item().get("runId").s(), r -> new ArrayList<>())
                                    .add(p.item().get(RunData.SK).s().substring(4, 16)));
                    synchronized (sent) {
                        sent.add(revisionsByRun);
                    }
                }
            }
        }), stack.tables);
        String run = Ids.next(Ids.RUN);
        List<RunEvent> events = new ArrayList<>();
        for (long rev = 1; rev <= 6; rev++) {
            for (int i = 0; i <= rev % 3; i++) {
                events.add(event(run, rev, i));
            }
        }
        java.util.Collections.reverse(events); // in any order given

        log.append(events);

        assertThat(sent).hasSize(6);
        for (int i = 0; i < sent.size(); i++) {
            assertThat(sent.get(i).get(run).stream().map(Long::parseLong).distinct().toList()).as("batch " + i)
                    .containsExactly(i + 1L);
        }
        assertThat(log.after(run, null, 100).events()).hasSize(events.size());
    }

    @Test
    void aHoleWithinARevisionHoldsBackWhatFollowsItUntilItFills() {
        RunEventLog log = new RunEventLog(stack.dynamo, stack.tables);
        String run = Ids.next(Ids.RUN);
        log.append(List.of(event(run, 5, 0)));
        // 6.1 readable before 6.0 (a batch's items are written in no particular order)
        log.append(List.of(event(run, 6, 1)));

        RunEventLog.Page page = log.readable(run, null, 10);
        assertThat(ids(page.events())).containsExactly(run.substring(0, 5) + ":5.0");
        assertThat(page.more()).as("something is there after the hole").isTrue();
        assertThat(log.readable(run, new EventCursor(5, 0), 10).events()).as("6.0 not there yet").isEmpty();

        log.append(List.of(event(run, 6, 0)));
        assertThat(ids(log.readable(run, new EventCursor(5, 0), 10).events()))
                .containsExactly(run.substring(0, 5) + ":6.0", run.substring(0, 5) + ":6.1");
        assertThat(log.readable(run, new EventCursor(4, 999), 10).events()).hasSize(3);
        assertThat(log.readable(run, new EventCursor(6, 0), 10).events()).extracting(RunEvent::id).containsExactly("6.1");
    }

    /**
     * A query reads item by item: it may pass an event's key before the event is written and meet a later one
     * written after it. Played here by taking the earliest item out of the first query's answer: the second
     * query, made after, has it, and the follower gets both, in order.
     */
    @Test
    void anEventAQueryMissedWhileMeetingALaterOneIsHandedBeforeIt() {
        AtomicInteger queries = new AtomicInteger();
        Predicate<Integer> missesTheEarliest = n -> n == 1;
        RunEventLog log = new RunEventLog(stack.dynamo(new ExecutionInterceptor() {
            @Override
            public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
                if (context.response() instanceof QueryResponse q && missesTheEarliest.test(queries.incrementAndGet())
                        && !q.items().isEmpty()) {
                    List<Map<String, AttributeValue>> rest = q.items().subList(1, q.items().size());
                    return q.toBuilder().items(rest).count(rest.size()).build();
                }
                return context.response();
            }
        }), stack.tables);
        String run = Ids.next(Ids.RUN);
        new RunEventLog(stack.dynamo, stack.tables).append(List.of(event(run, 5, 0), event(run, 6, 0)));

        RunEventLog.Page page = log.readable(run, new EventCursor(4, 0), 10);

        assertThat(page.events()).extracting(RunEvent::id).containsExactly("5.0", "6.0");
        assertThat(queries.get()).as("the second query confirms what the first saw").isEqualTo(2);
        assertThat(log.readable(run, new EventCursor(6, 0), 10).events()).isEmpty();
        assertThat(queries.get()).as("nothing seen: nothing to confirm").isEqualTo(3);
    }

    @Test
    void onlyTheEventsThatFollowTheCursorWithNoneMissingAreHanded() {
        List<RunEvent> e = List.of(event("r", 3, 0), event("r", 3, 1), event("r", 5, 0), event("r", 5, 2));
        assertThat(RunEventLog.contiguous(null, e)).extracting(RunEvent::id).containsExactly("3.0", "3.1", "5.0");
        assertThat(RunEventLog.contiguous(new EventCursor(3, 0), e.subList(1, 4))).extracting(RunEvent::id)
                .containsExactly("3.1", "5.0");
        assertThat(RunEventLog.contiguous(null, e.subList(1, 4))).as("3.0 is not there yet").isEmpty();
        assertThat(RunEventLog.contiguous(new EventCursor(2, 999), e)).hasSize(3);
        assertThat(RunEventLog.contiguous(new EventCursor(3, 7), e.subList(2, 4)))
                .as("a position past a revision's events: the next revision from 0").extracting(RunEvent::id)
                .containsExactly("5.0");
    }
}
