package io.metronome.api.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.FaultEvent;
import com.launchdarkly.eventsource.MessageEvent;
import com.launchdarkly.eventsource.StreamEvent;
import io.metronome.api.EventStream;
import io.metronome.domain.Json;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunStatus;
import io.metronome.egress.EgressPolicy;
import io.metronome.engine.Engine;
import io.metronome.engine.EngineSettings;
import io.metronome.engine.PollSchedule;
import io.metronome.engine.RunEventFeed;
import io.metronome.engine.RunEvents;
import io.metronome.engine.StreamEnd;
import io.metronome.engine.nodes.NodeExecutors;
import io.metronome.store.RunEventLog;
import io.metronome.store.RunRepository;
import io.metronome.testing.Harness;
import io.metronome.testing.MovableClock;
import io.metronome.testing.RunItemVersions;
import io.metronome.testing.TestStack;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The events handler as deployed: API Gateway's payload 2.0 events in, its responses out, read by a real SSE
 * client. The log is filled as a stream handler would fill it: every version of the run item the worker writes
 * is recorded ({@link RunItemVersions}) and projected into events ({@link RunEvents#between}). The feed waits on
 * a clock the test moves (a wait takes no time, and what happens during one is placed exactly); its reads are
 * counted.
 */
class GetRunEventsHandlerTest {
    private static final String FLOW = """
            {"nodes": [{"id": "start", "type": "transform", "config": {"expression": "1"}},
                       {"id": "ask", "type": "approval", "config": {"prompt": "go on?"}},
                       {"id": "end", "type": "transform", "config": {"expression": "nodes.start + 1"}}],
             "edges": [{"from": "start", "to": "ask"}, {"from": "ask", "to": "end"}]}""";

    private final TestStack stack = TestStack.get();
    private final RunItemVersions versions = new RunItemVersions(stack.plainDynamo, stack.tables.runs());
    private final Harness h = Harness.observedBy(versions);
    private final RunEventLog filler = new RunEventLog(stack.plainDynamo, stack.tables);
    private final Reads reads = new Reads();
    private final MovableClock clock = new MovableClock(Instant.now());
    private final AtomicInteger pauses = new AtomicInteger();
    /** What happens during the next wait: run at its first pause. */
    private volatile Runnable duringTheWait;
    private final GetRunEventsHandler handler;

    GetRunEventsHandlerTest() {
        // The API function's own engine, as deployed: its reads are counted
        Engine api = new Engine(stack.dynamo(reads), stack.sqs, stack.tables, h.queueUrl,
                new EngineSettings("api", Duration.ofSeconds(2), 3),
                NodeExecutors.standard(Map.<String, String>of()::get, EgressPolicy.local(null, stack.ports()), stack.sqs,
                        () -> stack.sfn(null)), clock);
        RunEventFeed.Pause pause = until -> {
            pauses.incrementAndGet();
            Runnable r = duringTheWait;
            duringTheWait = null;
            if (r != null) {
                r.run();
            }
            if (until.isAfter(clock.instant())) {
                clock.set(until);
            }
        };
        handler = new GetRunEventsHandler(api, new RunEventFeed(api.runService, api.eventLog, PollSchedule.FOLLOW, clock, pause));
    }

    // ---------------------------------------------------------------- following with EventSource

    @Test
    void anEventSourceGetsTheHistoryThenWaitsWithTheLastIdForOnlyTheLaterEventsThenTheEnd() throws Exception {
        Run run = h.start(h.metronome(FLOW), "{}");
        h.awaitStatus(run, RunStatus.WAITING_APPROVAL);
        List<RunEvent> history = fillTheLog(run);
        assertThat(history).extracting(e -> e.type().wire()).startsWith("workflow.queued", "workflow.started")
                .endsWith("approval.requested");

        List<EventSources.Call> calls = new ArrayList<>();
        List<MessageEvent> seen = new ArrayList<>();
        List<Long> retries = new ArrayList<>();
        try (EventSource source = EventSources.following(last -> request(run, last, Map.of("wait", "20"),
                Map.of("accept", "text/event-stream")), handler, calls)) {
            // While the second response waits: the run is approved and completes, and its events reach the log.
            duringTheWait = () -> {
                h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(), Json.read("{\"approved\": true}"));
                h.awaitStatus(run, RunStatus.COMPLETED);
                fillTheLog(run);
            };
            boolean ended = false;
            for (StreamEvent e : source.anyEvents()) {
                if (e instanceof MessageEvent m) {
                    seen.add(m);
                    ended |= m.getEventName().equals(EventStream.END_EVENT);
                } else if (e instanceof FaultEvent) {
                    retries.add(source.getBaseRetryDelayMillis()); // the response ended; the client would reconnect
                    if (ended) {
                        break;
                    }
                }
            }
        }
        List<RunEvent> all = fillTheLog(run);

        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).lastEventId()).as("the first connection").isNull();
        assertThat(calls.get(1).lastEventId()).as("the reconnection, by the client itself")
                .isEqualTo(history.get(history.size() - 1).id());
        assertThat(calls).allSatisfy(c -> assertThat(c.response().getHeaders())
                .containsEntry("Content-Type", "text/event-stream").containsEntry("Cache-Control", "no-store"));
        assertThat(EventSources.parse(calls.get(0).response().getBody()).ids()).as("the first: the history")
                .isEqualTo(history.stream().map(RunEvent::id).toList());
        EventSources.Parsed second = EventSources.parse(calls.get(1).response().getBody());
        assertThat(second.ids()).as("the second: only what came after")
                .isEqualTo(all.subList(history.size(), all.size()).stream().map(RunEvent::id).toList());
        assertThat(pauses.get()).as("the second waited for them").isPositive();

        List<MessageEvent> events = seen.subList(0, seen.size() - 1);
        assertThat(events).extracting(MessageEvent::getLastEventId).as("every event once, in order")
                .isEqualTo(all.stream().map(RunEvent::id).toList());
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).getEventName()).isEqualTo(all.get(i).type().wire());
            assertThat(Json.read(events.get(i).getData())).isEqualTo(all.get(i).toJson());
        }
        assertThat(all.get(all.size() - 1).type()).isEqualTo(RunEvent.Type.WORKFLOW_COMPLETED);
        MessageEvent end = seen.get(seen.size() - 1);
        assertThat(Json.read(end.getData())).isEqualTo(Json.read("{\"runId\": \"" + run.id()
                + "\", \"status\": \"completed\", \"lastEventId\": \"" + all.get(all.size() - 1).id() + "\"}"));
        assertThat(end.getLastEventId()).as("the end has no id of its own").isEqualTo(all.get(all.size() - 1).id());
        assertThat(retries).as("follow on soon; once ended, rarely").containsExactly(EventStream.FOLLOW_RETRY_MS,
                EventStream.ENDED_RETRY_MS);
    }

    @Test
    void aCallAfterTheEndGetsTheEndMarkerAtOnce() throws Exception {
        Run run = completedRun();
        List<RunEvent> all = fillTheLog(run);
        String last = all.get(all.size() - 1).id();
        reads.reset();

        APIGatewayV2HTTPResponse r = handler.handleRequest(request(run, last, Map.of(), Map.of()), null);

        EventSources.Parsed parsed = EventSources.parse(r.getBody());
        assertThat(parsed.ids()).isEmpty();
        assertThat(parsed.messages()).singleElement().satisfies(m -> {
            assertThat(m.getEventName()).isEqualTo("end");
            assertThat(Json.read(m.getData()).get("lastEventId").asText()).isEqualTo(last);
        });
        assertThat(parsed.retryMs()).isEqualTo(EventStream.ENDED_RETRY_MS);
        assertThat(parsed.comments()).singleElement().asString().contains(run.id());
        assertThat(pauses.get()).as("no wait").isZero();
        assertThat(reads.count()).as("the run, a query of the log, the event at the cursor (is it the last write's end?)")
                .isEqualTo(Map.of("GetItem runs", 1, "Query steps", 1, "GetItem steps", 1));
    }

    @Test
    void anIdleWaitReadsTheLogOnItsScheduleAndEndsWithTheRetryAlone() throws Exception {
        Run run = h.start(h.metronome(FLOW), "{}");
        h.awaitStatus(run, RunStatus.WAITING_APPROVAL);
        List<RunEvent> all = fillTheLog(run);
        reads.reset();

        APIGatewayV2HTTPResponse r = handler.handleRequest(request(run, all.get(all.size() - 1).id(), Map.of(), Map.of()), null);

        EventSources.Parsed parsed = EventSources.parse(r.getBody());
        assertThat(parsed.messages()).isEmpty();
        assertThat(parsed.retryMs()).isEqualTo(EventStream.FOLLOW_RETRY_MS);
        int polls = PollSchedule.FOLLOW.reads(RunEventFeed.DEFAULT_WAIT);
        assertThat(reads.count()).as("the run once, then the log on its schedule over the default 20 s")
                .isEqualTo(Map.of("GetItem runs", 1, "Query steps", polls));
        assertThat(pauses.get()).isEqualTo(polls - 1);
        System.out.printf("an idle %d s wait: %d reads (the run item, %d empty queries), %.1f read units%n",
                RunEventFeed.DEFAULT_WAIT.toSeconds(), 1 + polls, polls, reads.units());
    }

    @Test
    void aRunWhoseLogLagsBehindItsEndEndsOnlyOnceTheLogIsMarkedCompleteThroughItsLastWrite() throws Exception {
        Run run = completedRun();
        List<RunEvent> all = eventsOf(run);
        filler.append(all); // every event, but the handler has not yet marked the log: more could be coming
        String last = all.get(all.size() - 1).id();
        clock.set(h.run(run).updatedAt().plus(java.time.Duration.ofHours(1)));
        EventSources.Parsed waited = EventSources.parse(handler.handleRequest(
                request(run, last, Map.of("wait", "3"), Map.of()), null).getBody());
        assertThat(waited.messages()).as("an hour after the run's end, the log not marked: not the end").isEmpty();

        duringTheWait = () -> markIfSettled(run);
        pauses.set(0);
        EventSources.Parsed parsed = EventSources.parse(handler.handleRequest(request(run, last, Map.of(), Map.of()), null)
                .getBody());
        assertThat(parsed.messages()).extracting(MessageEvent::getEventName).as("marked during the wait: the end")
                .containsExactly("end");
        assertThat(pauses.get()).isPositive();
    }

    @Test
    void aSettledRunsLogNeverMarkedEndsOnceTheStreamCanHoldNothingMoreOfIt() throws Exception {
        Run run = completedRun();
        List<RunEvent> all = eventsOf(run);
        filler.append(all);
        clock.set(h.run(run).updatedAt().plus(StreamEnd.RETENTION));
        EventSources.Parsed parsed = EventSources.parse(handler.handleRequest(
                request(run, all.get(all.size() - 1).id(), Map.of("wait", "3"), Map.of()), null).getBody());
        assertThat(parsed.messages()).extracting(MessageEvent::getEventName).containsExactly("end");
        assertThat(pauses.get()).as("at once").isZero();
    }

    @Test
    void anEventNotReadableYetIsWaitedForNeverSkipped() throws Exception {
        // The write that fails the run has three events: step.failed boom, step.cancelled nap, workflow.failed.
        Run run = h.start(h.metronome("""
                {"nodes": [{"id": "start", "type": "transform", "config": {"expression": "1"}},
                           {"id": "nap", "type": "delay", "config": {"seconds": 30}},
                           {"id": "boom", "type": "fail", "config": {"error": "no"}}],
                 "edges": [{"from": "start", "to": "nap"}, {"from": "start", "to": "boom"}]}"""), "{}");
        h.awaitStatus(run, RunStatus.FAILED);
        List<RunEvent> all = eventsOf(run);
        int late = indexOfFirst(all, e -> e.cursor().index() > 0); // its write's first event is readable, it is not
        List<RunEvent> early = new ArrayList<>(all);
        RunEvent held = early.remove(late);
        filler.append(early);
        String before = all.get(late - 1).id();

        APIGatewayV2HTTPResponse stuck = handler.handleRequest(request(run, before, Map.of("wait", "3"), Map.of()), null);
        EventSources.Parsed nothing = EventSources.parse(stuck.getBody());
        assertThat(nothing.messages()).as("what lies past the hole waits with it").isEmpty();
        assertThat(nothing.retryMs()).as("no hurry to ask again").isEqualTo(EventStream.FOLLOW_RETRY_MS);

        duringTheWait = () -> filler.append(List.of(held));
        pauses.set(0);
        APIGatewayV2HTTPResponse filled = handler.handleRequest(request(run, before, Map.of(), Map.of()), null);
        assertThat(EventSources.parse(filled.getBody()).ids()).as("the hole filled while it waited")
                .isEqualTo(all.subList(late, all.size()).stream().map(RunEvent::id).toList());
        assertThat(pauses.get()).isPositive();
    }

    // ---------------------------------------------------------------- JSON, limits, refusals

    @Test
    void theJsonFormIsTheSameEventsAsALongPollFromAnyCursor() {
        Run run = completedRun();
        List<RunEvent> all = fillTheLog(run);

        JsonNode first = json(handler.handleRequest(request(run, null, Map.of("limit", "3"), Map.of("accept", "application/json")), null));
        assertThat(ids(first.get("data"))).isEqualTo(all.subList(0, 3).stream().map(RunEvent::id).toList());
        assertThat(first.get("nextCursor").asText()).isEqualTo(all.get(2).id());
        assertThat(first.get("more").asBoolean()).isTrue();
        assertThat(first.get("ended").asBoolean()).isFalse();
        assertThat(first.get("data").get(0)).isEqualTo(all.get(0).toJson());

        JsonNode rest = json(handler.handleRequest(request(run, null, Map.of("after", first.get("nextCursor").asText()),
                Map.of("accept", "application/json, text/event-stream;q=0.5")), null));
        assertThat(ids(rest.get("data"))).isEqualTo(all.subList(3, all.size()).stream().map(RunEvent::id).toList());
        assertThat(rest.get("ended").asBoolean()).isTrue();
        assertThat(rest.get("more").asBoolean()).isFalse();

        JsonNode headerWins = json(handler.handleRequest(request(run, all.get(all.size() - 2).id(), Map.of("after", "1.0"),
                Map.of("accept", "application/json")), null));
        assertThat(ids(headerWins.get("data"))).containsExactly(all.get(all.size() - 1).id());
    }

    @Test
    void aPageOfLimitEventsSaysToComeBackAtOnce() throws Exception {
        Run run = completedRun();
        List<RunEvent> all = fillTheLog(run);
        EventSources.Parsed parsed = EventSources.parse(handler.handleRequest(request(run, null, Map.of("limit", "2"), Map.of()), null).getBody());
        assertThat(parsed.ids()).isEqualTo(all.subList(0, 2).stream().map(RunEvent::id).toList());
        assertThat(parsed.retryMs()).isEqualTo(EventStream.MORE_RETRY_MS);
    }

    @Test
    void aMalformedCursorWaitOrLimitIsA400NamingItAndAnotherUsersRunIsA404() {
        Run run = completedRun();
        assertError(request(run, "12", Map.of(), Map.of()), 400, "validation_error", "Last-Event-ID");
        assertError(request(run, "1.2.3", Map.of(), Map.of()), 400, "validation_error", "Last-Event-ID");
        assertError(request(run, null, Map.of("after", "x"), Map.of()), 400, "validation_error", "after");
        assertError(request(run, null, Map.of("wait", "26"), Map.of()), 400, "validation_error", "wait");
        assertError(request(run, null, Map.of("wait", "-1"), Map.of()), 400, "validation_error", "wait");
        assertError(request(run, null, Map.of("wait", "soon"), Map.of()), 400, "validation_error", "wait");
        assertError(request(run, null, Map.of("limit", "1001"), Map.of()), 400, "validation_error", "limit");
        assertError(request(run, null, Map.of(), Map.of("accept", "text/html")), 406, "not_acceptable", null);

        APIGatewayV2HTTPEvent someoneElse = request(run, null, Map.of(), Map.of());
        someoneElse.getRequestContext().setAuthorizer(APIGatewayV2HTTPEvent.RequestContext.Authorizer.builder()
                .withLambda(Map.of("userId", "user-b")).build());
        APIGatewayV2HTTPResponse notFound = handler.handleRequest(someoneElse, null);
        assertThat(notFound.getStatusCode()).isEqualTo(404);
        assertThat(json(notFound).get("error").get("code").asText()).isEqualTo("not_found");
        APIGatewayV2HTTPEvent otherMetronome = request(run, null, Map.of(), Map.of());
        otherMetronome.setPathParameters(Map.of("metronomeId", "met_00000000000000000000000009", "runId", run.id()));
        assertThat(handler.handleRequest(otherMetronome, null).getStatusCode()).isEqualTo(404);
        APIGatewayV2HTTPEvent noKey = request(run, null, Map.of(), Map.of());
        noKey.getRequestContext().setAuthorizer(null);
        assertThat(handler.handleRequest(noKey, null).getStatusCode()).isEqualTo(401);
    }

    // ---------------------------------------------------------------- helpers

    private Run completedRun() {
        Run run = h.start(h.metronome(FLOW), "{}");
        h.awaitStatus(run, RunStatus.WAITING_APPROVAL);
        h.engine.runService.approve(run.userId(), run.metronomeId(), run.id(), Json.read("{\"approved\": true}"));
        return h.awaitStatus(run, RunStatus.COMPLETED);
    }

    /**
     * The run's events so far, from every version of its run item, appended as a stream handler would, the log
     * marked complete when the last version is settled.
     */
    private List<RunEvent> fillTheLog(Run run) {
        List<RunEvent> events = eventsOf(run);
        filler.append(events);
        markIfSettled(run);
        return events;
    }

    private void markIfSettled(Run run) {
        Run last = RunRepository.fromImage(versions.versions(run.id()).lastEntry().getValue());
        if (StreamEnd.settled(last)) {
            filler.markSettled(Map.of(last.id(), last.rev()));
        }
    }

    /** The events of every version of the run item so far. */
    private List<RunEvent> eventsOf(Run run) {
        List<RunEvent> events = new ArrayList<>();
        Run before = null;
        for (Map<String, AttributeValue> image : versions.versions(run.id()).values()) {
            Run after = RunRepository.fromImage(image);
            events.addAll(RunEvents.between(before, after));
            before = after;
        }
        return events;
    }

    private static int indexOfFirst(List<RunEvent> events, java.util.function.Predicate<RunEvent> p) {
        for (int i = 0; i < events.size(); i++) {
            if (p.test(events.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such event in " + events);
    }

    /** The payload 2.0 event API Gateway sends for this route (as events/GetRunEventsFunction.json). */
    private static APIGatewayV2HTTPEvent request(Run run, String lastEventId, Map<String, String> query,
                                                 Map<String, String> extraHeaders) {
        Map<String, String> headers = new HashMap<>(Map.of("host", "abcdef1234.execute-api.us-east-1.amazonaws.com",
                "authorization", "Bearer key"));
        headers.putAll(extraHeaders);
        if (lastEventId != null) {
            headers.put("last-event-id", lastEventId);
        }
        String path = "/v1/metronomes/" + run.metronomeId() + "/runs/" + run.id() + "/events";
        return APIGatewayV2HTTPEvent.builder().withVersion("2.0")
                .withRouteKey("GET /v1/metronomes/{metronomeId}/runs/{runId}/events").withRawPath(path)
                .withRawQueryString(query.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining("&")))
                .withHeaders(headers).withQueryStringParameters(query.isEmpty() ? null : new HashMap<>(query))
                .withPathParameters(Map.of("metronomeId", run.metronomeId(), "runId", run.id()))
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder().withRequestId("req-" + System.nanoTime())
                        .withRouteKey("GET /v1/metronomes/{metronomeId}/runs/{runId}/events").withStage("$default")
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder().withMethod("GET").withPath(path)
                                .withProtocol("HTTP/1.1").build())
                        .withAuthorizer(APIGatewayV2HTTPEvent.RequestContext.Authorizer.builder()
                                .withLambda(Map.of("userId", run.userId())).build()).build())
                .withIsBase64Encoded(false).build();
    }

    private void assertError(APIGatewayV2HTTPEvent request, int status, String code, String path) {
        APIGatewayV2HTTPResponse r = handler.handleRequest(request, null);
        assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(status);
        assertThat(r.getHeaders().get("Content-Type")).startsWith("application/json");
        JsonNode error = json(r).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        if (path != null) {
            assertThat(error.get("details").get(0).get("path").asText()).isEqualTo(path);
        }
    }

    private static JsonNode json(APIGatewayV2HTTPResponse r) {
        assertThat(r.getHeaders().get("Content-Type")).startsWith("application/json");
        return Json.read(r.getBody());
    }

    private static List<String> ids(JsonNode data) {
        List<String> out = new ArrayList<>();
        data.forEach(e -> out.add(e.get("id").asText()));
        return out;
    }

    /** The API engine's DynamoDB reads, by operation and table, and the read units they consumed. */
    private final class Reads implements ExecutionInterceptor {
        private final Map<String, Integer> count = new LinkedHashMap<>();
        private double units;

        @Override
        public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
            if (context.request() instanceof QueryRequest q) {
                record("Query", q.tableName());
                return q.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
            }
            if (context.request() instanceof GetItemRequest g) {
                record("GetItem", g.tableName());
                return g.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
            }
            return context.request();
        }

        @Override
        public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
            synchronized (this) {
                if (context.response() instanceof QueryResponse q && q.consumedCapacity() != null) {
                    units += q.consumedCapacity().capacityUnits();
                } else if (context.response() instanceof GetItemResponse g && g.consumedCapacity() != null) {
                    units += g.consumedCapacity().capacityUnits();
                }
            }
            return context.response();
        }

        private synchronized void record(String operation, String table) {
            String name = table.equals(stack.tables.runs()) ? "runs" : table.equals(stack.tables.steps()) ? "steps" : table;
            count.merge(operation + " " + name, 1, Integer::sum);
        }

        synchronized Map<String, Integer> count() {
            return new LinkedHashMap<>(count);
        }

        synchronized double units() {
            return units;
        }

        synchronized void reset() {
            count.clear();
            units = 0;
        }
    }

}
