package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.TriggerEvent;
import io.metronome.testing.Harness;
import io.metronome.testing.MovableClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Schedules, webhooks and AWS events on the DynamoDB emulator: each delivery's trigger event, each run started once. */
class TriggersTest {
    private static final String ONE_NODE = """
            {"nodes": [{"id": "echo", "type": "transform", "config": {"expression": "input"}}], "edges": []}""";
    private final MovableClock clock = new MovableClock(Instant.parse("2026-11-22T07:00:00Z"));
    private final Harness h = new Harness(Duration.ofSeconds(2), clock);
    private final Triggers triggers = h.engine.triggers;

    private MetronomeService.Saved create(String trigger) {
        return h.engine.metronomeService.create(Harness.USER, Json.read(
                "{\"name\": \"t\", \"trigger\": " + trigger + ", \"definition\": " + ONE_NODE + "}"));
    }

    private List<Run> runs(Metronome m) {
        return h.engine.runService.list(m.userId(), m.id(), null, 100, null).runs();
    }

    private List<TriggerEvent> events(Metronome m) {
        return triggers.list(m.userId(), m.id(), 100, null).events();
    }

    @Test
    void aScheduleStartsOneRunPerFireTimeHoweverOftenTheTickComes() throws Exception {
        Metronome m = create("{\"type\": \"schedule\", \"expression\": \"cron(0 9 * * ? *)\", \"timezone\": \"Europe/Paris\"}")
                .metronome();
        assertThat(m.nextFireAt()).isEqualTo(Instant.parse("2026-11-22T08:00:00Z")); // 09:00 in Paris

        clock.set(Instant.parse("2026-11-22T07:59:00Z"));
        assertThat(triggers.tick()).isEmpty();

        clock.set(Instant.parse("2026-11-22T08:00:40Z"));
        var together = List.of(CompletableFuture.supplyAsync(triggers::tick), CompletableFuture.supplyAsync(triggers::tick));
        for (var f : together) {
            f.get();
        }
        triggers.tick(); // and once more, late
        List<Run> started = runs(m);
        assertThat(started).hasSize(1);
        assertThat(started.get(0).triggerType()).isEqualTo("schedule");
        assertThat(started.get(0).input().get("fireTime").asText()).isEqualTo("2026-11-22T08:00:00.000Z");
        TriggerEvent matched = events(m).get(0);
        assertThat(matched.status()).isEqualTo("matched");
        assertThat(matched.runId()).isEqualTo(started.get(0).id());
        assertThat(matched.sourceEventId()).isEqualTo("2026-11-22T08:00:00.000Z");
        assertThat(h.engine.metronomes.find(m.id()).orElseThrow().nextFireAt()).isEqualTo(Instant.parse("2026-11-23T08:00:00Z"));
    }

    @Test
    void missedFireTimesAreRecordedAndOnlyTheLatestRuns() {
        Metronome m = create("{\"type\": \"schedule\", \"expression\": \"cron(0 9 * * ? *)\", \"timezone\": \"Europe/Paris\"}")
                .metronome();
        clock.set(Instant.parse("2026-11-25T08:30:00Z")); // ticks missed on the 22nd, 23rd and 24th

        triggers.tick();

        List<Run> started = runs(m);
        assertThat(started).hasSize(1);
        assertThat(started.get(0).input().get("fireTime").asText()).isEqualTo("2026-11-25T08:00:00.000Z");
        TriggerEvent missed = events(m).stream().filter(e -> e.status().equals("ignored")).findFirst().orElseThrow();
        assertThat(missed.payload().get("missed").asInt()).isEqualTo(3);
        assertThat(missed.reason()).contains("only the latest");
        assertThat(h.engine.metronomes.find(m.id()).orElseThrow().nextFireAt()).isEqualTo(Instant.parse("2026-11-26T08:00:00Z"));
    }

    @Test
    void aFireTimeThatRanBeforeATickStoppedIsNotReportedMissed() {
        Metronome m = create("{\"type\": \"schedule\", \"expression\": \"cron(0 9 * * ? *)\", \"timezone\": \"Europe/Paris\"}")
                .metronome();
        clock.set(Instant.parse("2026-11-22T08:00:30Z"));
        triggers.tick();
        // As if that tick had stopped after starting the run and before moving the schedule on:
        h.engine.metronomes.advanceSchedule(m.id(), Instant.parse("2026-11-23T08:00:00Z"), Instant.parse("2026-11-22T08:00:00Z"));
        clock.set(Instant.parse("2026-11-23T08:10:00Z"));

        triggers.tick();

        assertThat(runs(m)).hasSize(2);
        assertThat(events(m)).extracting(TriggerEvent::status).containsOnly("matched");
        assertThat(h.engine.metronomes.find(m.id()).orElseThrow().nextFireAt()).isEqualTo(Instant.parse("2026-11-24T08:00:00Z"));
    }

    @Test
    void aRateScheduleFiresEveryPeriodFromWhenItWasSaved() {
        Metronome m = create("{\"type\": \"schedule\", \"expression\": \"rate(15 minutes)\"}").metronome();
        assertThat(m.nextFireAt()).isEqualTo(Instant.parse("2026-11-22T07:15:00Z"));
        clock.set(Instant.parse("2026-11-22T07:16:00Z"));
        triggers.tick();
        assertThat(h.engine.metronomes.find(m.id()).orElseThrow().nextFireAt()).isEqualTo(Instant.parse("2026-11-22T07:30:00Z"));
        assertThat(runs(m)).hasSize(1);
    }

    @Test
    void invalidTriggersAreRefusedWithTheirPaths() {
        for (String[] c : List.of(
                new String[]{"{\"type\": \"schedule\", \"expression\": \"cron(0 9 * * MON *)\"}", "trigger.expression"},
                new String[]{"{\"type\": \"schedule\", \"expression\": \"every day\"}", "trigger.expression"},
                new String[]{"{\"type\": \"schedule\", \"expression\": \"rate(5 minute)\"}", "trigger.expression"},
                new String[]{"{\"type\": \"schedule\", \"expression\": \"rate(1 hour)\", \"timezone\": \"Mars/Olympus\"}", "trigger.timezone"},
                new String[]{"{\"type\": \"event\"}", "trigger.source"},
                new String[]{"{\"type\": \"webhook\", \"filter\": \"body.(\"}", "trigger.filter"},
                new String[]{"{\"type\": \"webhook\", \"secret\": \"mine\"}", "trigger.secret"},
                new String[]{"{\"type\": \"carrier-pigeon\"}", "trigger.type"})) {
            assertThatThrownBy(() -> create(c[0])).as(c[0]).isInstanceOfSatisfying(ApiException.class,
                    e -> assertThat(e.details()).extracting(ApiException.ErrorDetail::path).contains(c[1]));
        }
    }

    private static Map<String, String> signed(String secret, String body, Instant at, String delivery) {
        String ts = Long.toString(at.getEpochSecond());
        return Map.of(Triggers.TIMESTAMP_HEADER, ts, Triggers.DELIVERY_HEADER, delivery,
                Triggers.SIGNATURE_HEADER, "v1=" + Triggers.sign(secret, ts + "." + delivery + ".", body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void webhookDeliveriesAreVerifiedDeduplicatedAndFiltered() {
        MetronomeService.Saved saved = create("{\"type\": \"webhook\", \"filter\": \"body.action = 'opened'\"}");
        Metronome m = saved.metronome();
        String secret = saved.newWebhookSecret();
        assertThat(secret).startsWith("whsec_");
        String opened = "{\"action\": \"opened\", \"number\": 7}";
        byte[] body = opened.getBytes(StandardCharsets.UTF_8);

        var first = triggers.webhook(m.id(), signed(secret, opened, clock.instant(), "d-1"), body);
        var again = triggers.webhook(m.id(), signed(secret, opened, clock.instant(), "d-1"), body);
        assertThat(first.status()).isEqualTo(202);
        assertThat(first.event().status()).isEqualTo("matched");
        assertThat(again.event().id()).isEqualTo(first.event().id());
        assertThat(runs(m)).hasSize(1);
        assertThat(runs(m).get(0).input().get("number").asInt()).isEqualTo(7);
        // A captured request replayed under a new delivery id: the id is signed, so it is refused.
        Map<String, String> replay = new java.util.HashMap<>(signed(secret, opened, clock.instant(), "d-1"));
        replay.put(Triggers.DELIVERY_HEADER, "d-1-again");
        assertThat(triggers.webhook(m.id(), replay, body).status()).isEqualTo(401);
        assertThat(runs(m)).hasSize(1);

        var forged = triggers.webhook(m.id(), signed("whsec_wrong", opened, clock.instant(), "d-2"), body);
        assertThat(forged.status()).isEqualTo(401);
        assertThat(forged.event().status()).isEqualTo("unauthorized");
        var stale = triggers.webhook(m.id(), signed(secret, opened, clock.instant().minusSeconds(600), "d-3"), body);
        assertThat(stale.status()).isEqualTo(401);
        assertThat(stale.event().reason()).contains("stale timestamp");
        var unsigned = triggers.webhook(m.id(), Map.of(), body);
        assertThat(unsigned.event().reason()).contains("missing");
        // A forged delivery does not claim its id: the real one still runs.
        var real = triggers.webhook(m.id(), signed(secret, opened, clock.instant(), "d-2"), body);
        assertThat(real.event().status()).isEqualTo("matched");

        String closed = "{\"action\": \"closed\"}";
        var filtered = triggers.webhook(m.id(), signed(secret, closed, clock.instant(), "d-4"),
                closed.getBytes(StandardCharsets.UTF_8));
        assertThat(filtered.status()).isEqualTo(202);
        assertThat(filtered.event().status()).isEqualTo("ignored");
        assertThat(filtered.event().reason()).contains("body.action = 'opened'");
        assertThat(runs(m)).hasSize(2);

        String rotated = h.engine.metronomeService.rotateWebhookSecret(m.userId(), m.id());
        assertThat(triggers.webhook(m.id(), signed(secret, opened, clock.instant(), "d-5"), body).status()).isEqualTo(401);
        assertThat(triggers.webhook(m.id(), signed(rotated, opened, clock.instant(), "d-5"), body).status()).isEqualTo(202);
        assertThat(events(m)).extracting(TriggerEvent::status)
                .containsExactly("matched", "unauthorized", "ignored", "matched", "unauthorized", "unauthorized",
                        "unauthorized", "unauthorized", "matched");
        assertThatThrownBy(() -> triggers.webhook(create("{\"type\": \"manual\"}").metronome().id(), Map.of(), body))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void aSaveThatReadTheOldSecretCannotUndoARotation() {
        MetronomeService.Saved saved = create("{\"type\": \"webhook\"}");
        Metronome before = saved.metronome();
        h.engine.metronomeService.rotateWebhookSecret(before.userId(), before.id());
        Metronome stale = new Metronome(before.id(), before.userId(), "renamed", null, before.trigger(), before.definition(),
                "ver_01jz0000000000000000000000", 2, before.maxAttempts(), before.timeoutMs(), before.createdAt(),
                clock.instant(), before.webhookSecret(), null);
        var version = new io.metronome.domain.MetronomeVersion(stale.versionId(), stale.id(), 2, before.definition(), 3, 0,
                clock.instant());

        assertThatThrownBy(() -> h.engine.metronomes.save(stale, version, before.webhookSecret()))
                .isInstanceOf(io.metronome.store.MetronomeRepository.StaleVersion.class);
        assertThat(h.engine.metronomes.find(before.id()).orElseThrow().webhookSecret()).isNotEqualTo(before.webhookSecret());
    }

    @Test
    void aRedeliveryAfterTheFilterChangedFindsTheRunItStarted() {
        MetronomeService.Saved saved = create("{\"type\": \"webhook\"}");
        Metronome m = saved.metronome();
        String body = "{\"action\": \"opened\"}";
        var first = triggers.webhook(m.id(), signed(saved.newWebhookSecret(), body, clock.instant(), "late-1"),
                body.getBytes(StandardCharsets.UTF_8));
        h.engine.metronomeService.update(m.userId(), m.id(), Json.read("{\"name\": \"t\", \"trigger\": {\"type\": "
                + "\"webhook\", \"filter\": \"false\"}, \"definition\": " + ONE_NODE + "}"));

        var again = triggers.webhook(m.id(), signed(saved.newWebhookSecret(), body, clock.instant(), "late-1"),
                body.getBytes(StandardCharsets.UTF_8));

        assertThat(again.event().id()).isEqualTo(first.event().id());
        assertThat(again.event().status()).isEqualTo("matched");
        assertThat(events(m)).hasSize(1);
    }

    @Test
    void awsEventsStartRunsOfTheMetronomesListeningToThemOnce() {
        String source = "test.orders." + UUID.randomUUID();
        Metronome uploads = create("{\"type\": \"event\", \"source\": \"" + source + "\", \"detailType\": \"Order Placed\","
                + " \"filter\": \"detail.total > 100\"}").metronome();
        Metronome all = create("{\"type\": \"event\", \"source\": \"" + source + "\"}").metronome();
        JsonNode big = Json.read("{\"id\": \"e-1\", \"source\": \"" + source + "\", \"detail-type\": \"Order Placed\","
                + " \"detail\": {\"total\": 250}}");

        List<TriggerEvent> first = triggers.event(big);
        List<TriggerEvent> redelivered = triggers.event(big);

        assertThat(first).extracting(TriggerEvent::status).containsExactlyInAnyOrder("matched", "matched");
        assertThat(redelivered).extracting(TriggerEvent::id).containsExactlyInAnyOrderElementsOf(
                first.stream().map(TriggerEvent::id).toList());
        assertThat(runs(uploads)).hasSize(1);
        assertThat(runs(uploads).get(0).input().at("/detail/total").asInt()).isEqualTo(250);

        triggers.event(Json.read("{\"id\": \"e-2\", \"source\": \"" + source + "\", \"detail-type\": \"Order Placed\","
                + " \"detail\": {\"total\": 5}}"));
        triggers.event(Json.read("{\"id\": \"e-3\", \"source\": \"" + source + "\", \"detail-type\": \"Order Cancelled\"}"));
        assertThat(runs(uploads)).hasSize(1);
        assertThat(runs(all)).hasSize(3);
        assertThat(events(uploads)).extracting(TriggerEvent::reason).anyMatch(r -> r != null && r.contains("detail.total > 100"))
                .anyMatch(r -> r != null && r.contains("is not 'Order Placed'"));
        assertThatThrownBy(() -> triggers.event(Json.read("{\"detail\": {}}"))).isInstanceOf(IllegalArgumentException.class);
    }
    @Test
    void aFilterOverItsBudgetRefusesTheDeliveryAndRecordsItFailed() {
        String recurse = "($f := function($x){$f($x)}; $f(body))";
        MetronomeService.Saved saved = create("{\"type\": \"webhook\", \"filter\": \"" + recurse + "\"}");
        Metronome m = saved.metronome();
        String body = "{\"action\": \"opened\"}";

        var refused = triggers.webhook(m.id(), signed(saved.newWebhookSecret(), body, clock.instant(), "b-1"),
                body.getBytes(StandardCharsets.UTF_8));
        var again = triggers.webhook(m.id(), signed(saved.newWebhookSecret(), body, clock.instant(), "b-1"),
                body.getBytes(StandardCharsets.UTF_8));

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.event().status()).isEqualTo("failed");
        assertThat(refused.event().reason()).contains("exceeded its " + io.metronome.expr.Budget.TIME_MS + " ms budget");
        assertThat(again.status()).as("a refusal does not claim the delivery id").isEqualTo(400);
        assertThat(runs(m)).isEmpty();
        assertThat(events(m)).extracting(TriggerEvent::status).containsExactly("failed", "failed");

        String source = "test.budget." + UUID.randomUUID();
        Metronome listening = create("{\"type\": \"event\", \"source\": \"" + source + "\", \"filter\": \""
                + "$pad('', 100000000)\"}").metronome();
        List<TriggerEvent> out = triggers.event(Json.read("{\"id\": \"b-e-1\", \"source\": \"" + source + "\"}"));
        assertThat(out).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo("failed");
            assertThat(e.reason()).contains("size budget");
        });
        assertThat(runs(listening)).isEmpty();
    }
}
