package io.metronome.engine;

import io.metronome.domain.ApiException;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Starting, reading and listing runs: idempotency, tenancy and input validation. */
class RunServiceTest {
    private static final String ONE_NODE = """
            {"nodes": [{"id": "only", "type": "transform", "config": {"expression": "input"}}], "edges": []}""";
    private final Harness h = new Harness();
    private final RunService runs = h.engine.runService;

    @Test
    void theSameIdempotencyKeyReturnsTheExistingRun() {
        Metronome m = h.metronome(ONE_NODE);
        var first = runs.start(m.userId(), m.id(), Json.read("{\"idempotencyKey\": \"order-1\", \"input\": 1}"));
        var again = runs.start(m.userId(), m.id(), Json.read("{\"idempotencyKey\": \"order-1\", \"input\": 2}"));
        var other = runs.start(m.userId(), m.id(), Json.read("{\"idempotencyKey\": \"order-2\"}"));
        Metronome m2 = h.metronome(ONE_NODE);
        var sameKeyElsewhere = runs.start(m2.userId(), m2.id(), Json.read("{\"idempotencyKey\": \"order-1\"}"));

        assertThat(first.created()).isTrue();
        assertThat(again.created()).isFalse();
        assertThat(again.run().id()).isEqualTo(first.run().id());
        assertThat(again.run().input().asInt()).isEqualTo(1);
        assertThat(other.run().id()).isNotEqualTo(first.run().id());
        assertThat(sameKeyElsewhere.created()).isTrue();
        assertThat(runs.list(m.userId(), m.id(), null, 100, null).runs()).hasSize(2);
        h.awaitStatus(first.run(), RunStatus.COMPLETED);
        assertThat(h.timeline(first.run()).steps()).hasSize(1);
    }

    @Test
    void anotherUsersRunIsNotFoundEverywhere() {
        Metronome m = h.metronome(ONE_NODE);
        Run run = h.start(m, "{}");
        Metronome other = h.metronome(ONE_NODE);
        List<Runnable> calls = List.of(
                () -> runs.get("intruder", m.id(), run.id()),
                () -> runs.timeline("intruder", m.id(), run.id(), null, null),
                () -> runs.pause("intruder", m.id(), run.id(), null),
                () -> runs.resume("intruder", m.id(), run.id(), null),
                () -> runs.cancel("intruder", m.id(), run.id(), null),
                () -> runs.approve("intruder", m.id(), run.id(), Json.read("{\"approved\": true}")),
                () -> runs.list("intruder", m.id(), null, null, null),
                () -> runs.start("intruder", m.id(), null),
                () -> runs.get(m.userId(), other.id(), run.id()), // a run of another metronome
                () -> runs.get(m.userId(), m.id(), "run_01jz0000000000000000000000"),
                () -> runs.get(m.userId(), m.id(), "not-an-id"));
        for (Runnable call : calls) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class,
                    e -> assertThat(e.status()).isEqualTo(404));
        }
        assertThat(h.run(run).rev()).isEqualTo(run.rev());
    }

    @Test
    void badInputIsA400NamingEachFieldAndCreatesNothing() {
        Metronome m = h.metronome(ONE_NODE);
        assertThatThrownBy(() -> runs.start(m.userId(), m.id(), Json.read("""
                {"inputs": 1, "timeoutMs": "soon", "idempotencyKey": "", "attachedTicketId": 5}""")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("validation_error");
                    assertThat(e.details()).extracting(ApiException.ErrorDetail::path)
                            .containsExactlyInAnyOrder("inputs", "timeoutMs", "idempotencyKey", "attachedTicketId");
                });
        assertThatThrownBy(() -> runs.start(m.userId(), m.id(), Json.read("[1, 2]")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThat(runs.list(m.userId(), m.id(), null, null, null).runs()).isEmpty();
    }

    @Test
    void runsAreListedNewestFirstPageByPageAndByStatus() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "ask", "type": "approval", "config": {"prompt": "ok?"}}], "edges": []}""");
        List<String> started = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            started.add(h.start(m, "{}").id());
        }
        Run cancelled = runs.get(m.userId(), m.id(), started.get(1));
        runs.cancel(m.userId(), m.id(), cancelled.id(), null);

        List<String> listed = new ArrayList<>();
        String cursor = null;
        do {
            var page = runs.list(m.userId(), m.id(), null, 2, cursor);
            assertThat(page.runs().size()).isLessThanOrEqualTo(2);
            page.runs().forEach(r -> listed.add(r.id()));
            cursor = page.nextCursor();
        } while (cursor != null);

        List<String> newestFirst = new ArrayList<>(started);
        java.util.Collections.reverse(newestFirst);
        assertThat(listed).containsExactlyElementsOf(newestFirst);
        assertThat(runs.list(m.userId(), m.id(), "cancelled", null, null).runs()).extracting(Run::id)
                .containsExactly(cancelled.id());
        assertThat(runs.list(m.userId(), m.id(), "queued", null, null).runs()).hasSize(4);
        assertThatThrownBy(() -> runs.list(m.userId(), m.id(), "sleeping", null, null)).hasMessageContaining("status");
        assertThatThrownBy(() -> runs.list(m.userId(), m.id(), null, 0, null)).hasMessageContaining("limit");
        assertThatThrownBy(() -> runs.list(m.userId(), m.id(), null, 101, null)).hasMessageContaining("limit");
        assertThatThrownBy(() -> runs.list(m.userId(), m.id(), null, null, "garbage")).hasMessageContaining("cursor");
        String otherListsCursor = runs.list(m.userId(), m.id(), "queued", 1, null).nextCursor();
        assertThatThrownBy(() -> runs.list(m.userId(), m.id(), null, 1, otherListsCursor)).hasMessageContaining("cursor");
    }

    @Test
    void approveIsRefusedUnlessTheRunIsWaitingForOne() {
        Metronome m = h.metronome(ONE_NODE);
        Run run = h.awaitStatus(h.start(m, "{}"), RunStatus.COMPLETED);
        assertThatThrownBy(() -> runs.approve(run.userId(), m.id(), run.id(), Json.read("{\"approved\": true}")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(409));
        assertThatThrownBy(() -> runs.approve(run.userId(), m.id(), run.id(), Json.read("{\"approved\": \"yes\"}")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void aNewVersionLeavesRunningRunsOnTheirs() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "ask", "type": "approval", "config": {"prompt": "ok?"}},
                           {"id": "v", "type": "transform", "config": {"expression": "'one'"}}],
                 "edges": [{"from": "ask", "to": "v"}]}""");
        Run run = h.awaitStatus(h.start(m, "{}"), RunStatus.WAITING_APPROVAL);
        Metronome v2 = h.engine.metronomeService.update(m.userId(), m.id(), Json.read("""
                {"name": "test", "definition": {"nodes": [{"id": "v", "type": "transform", "config": {"expression": "'two'"}}]}}""")).metronome();
        assertThat(v2.versionId()).isNotEqualTo(m.versionId());
        assertThat(v2.versionNumber()).isEqualTo(2);

        runs.approve(run.userId(), m.id(), run.id(), Json.read("{\"approved\": true}"));
        assertThat(h.awaitStatus(run, RunStatus.COMPLETED).output().asText()).isEqualTo("one");
        Run next = h.awaitStatus(h.start(v2, "{}"), RunStatus.COMPLETED);
        assertThat(next.output().asText()).isEqualTo("two");
        assertThat(next.versionId()).isEqualTo(v2.versionId());
    }
}
