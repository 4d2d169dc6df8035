package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.BodyLimits;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.Times;
import io.metronome.domain.Trigger;
import io.metronome.domain.TriggerEvent;
import io.metronome.expr.ExpressionLimitException;
import io.metronome.expr.Expressions;
import io.metronome.store.Cursors;
import io.metronome.store.MetronomeRepository;
import io.metronome.store.TriggerEventRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs that start without an API call: signed webhook deliveries, AWS events, and schedule ticks. Every delivery
 * leaves a trigger event saying what came of it: {@code matched} (with its run), {@code ignored} (the filter
 * said no, with why), {@code unauthorized} (bad or missing signature, stale timestamp) or {@code failed} (the
 * run could not be started, or the filter exceeded its expression budget and the delivery was refused). A redelivery of the same source event (delivery id, event id, fire time) finds
 * the first outcome and starts nothing again.
 */
public final class Triggers {
    private static final Logger LOG = LoggerFactory.getLogger(Triggers.class);
    /** How far a webhook's timestamp may be from now before the delivery counts as a replay. */
    public static final Duration WEBHOOK_TOLERANCE = Duration.ofMinutes(5);
    public static final String SIGNATURE_HEADER = "x-metronome-signature";
    public static final String TIMESTAMP_HEADER = "x-metronome-timestamp";
    public static final String DELIVERY_HEADER = "x-metronome-delivery";
    /** Longer than any redelivery: SQS keeps a message 14 days at most. */
    private static final long DEDUPE_SECONDS = 15 * 24 * 3600;
    private static final long UNAUTHORIZED_KEPT_SECONDS = 7 * 24 * 3600;
    /** Deliveries refused because the filter exceeded its budget are kept as long as unauthorized ones. */
    private static final long REFUSED_KEPT_SECONDS = UNAUTHORIZED_KEPT_SECONDS;
    /** A body larger than this is summarised in trigger events (the run still gets all of it). */
    private static final int PAYLOAD_KEPT_BYTES = 16 * 1024;
    private static final int MAX_MISSED_COUNTED = 100_000;

    private final MetronomeRepository metronomes;
    private final TriggerEventRepository events;
    private final RunService runs;
    private final Clock clock;

    public Triggers(MetronomeRepository metronomes, TriggerEventRepository events, RunService runs, Clock clock) {
        this.metronomes = metronomes;
        this.events = events;
        this.runs = runs;
        this.clock = clock;
    }

    /** The outcome of a webhook delivery: the HTTP status to answer and the trigger event recorded. */
    public record Delivery(int status, TriggerEvent event) {
    }

    // ---------------------------------------------------------------- webhooks

    /**
     * A delivery to {@code POST /v1/hooks/{metronomeId}}. Signed as {@code v1=<hex HMAC-SHA256>} of
     * {@code "<timestamp>.<delivery id>.<body>"} under the metronome's webhook secret: the delivery id is signed
     * too, so a replayed request cannot take a new id (and a forged one cannot take a real delivery's id).
     *
     * @param headers lower-case header names
     * @throws ApiException 404 when there is no such metronome or it has no webhook trigger
     */
    public Delivery webhook(String metronomeId, Map<String, String> headers, byte[] body) {
        Metronome m = Ids.isValid(Ids.METRONOME, metronomeId) ? metronomes.find(metronomeId).orElse(null) : null;
        if (m == null || m.parsedTrigger().type() != Trigger.Type.WEBHOOK || m.webhookSecret() == null) {
            throw ApiException.notFound("webhook");
        }
        Instant now = clock.instant();
        String delivery = headers.get(DELIVERY_HEADER);
        String problem = signatureProblem(m.webhookSecret(), headers, body, now);
        if (problem != null) {
            // Recorded (for a week) for the owner to see, without claiming the delivery id and before reading
            // the body: a forged delivery costs one small write and shadows nothing.
            String sourceId = delivery == null || delivery.isBlank() || delivery.length() > 200 ? null : delivery;
            TriggerEvent e = event(m, "webhook", "unauthorized", sourceId, "delivery refused", problem, Json.object(), null, now);
            events.record(e, UNAUTHORIZED_KEPT_SECONDS);
            return new Delivery(401, e);
        }
        String sourceId = delivery.trim();
        ObjectNode payload = Json.object();
        JsonNode parsedBody = parse(body);
        payload.set("body", summary(parsedBody, body.length));
        Optional<TriggerEvent> earlier = earlier(m, "webhook", sourceId);
        if (earlier.isPresent()) {
            return new Delivery(202, earlier.get());
        }
        ObjectNode scope = Json.object();
        scope.set("body", parsedBody);
        scope.set("headers", Json.MAPPER.valueToTree(headers));
        Decided outcome = decide(m, "webhook", sourceId, parsedBody, scope, payload, "webhook delivery " + sourceId, now);
        // A delivery the filter could not judge within its budget: the sender is told (4xx), not only the owner.
        return new Delivery(outcome.refused() ? 400 : 202, outcome.event());
    }

    private static String signatureProblem(String secret, Map<String, String> headers, byte[] body, Instant now) {
        String signature = headers.get(SIGNATURE_HEADER);
        String timestamp = headers.get(TIMESTAMP_HEADER);
        String delivery = headers.get(DELIVERY_HEADER);
        if (signature == null || timestamp == null || delivery == null || delivery.isBlank()) {
            return "missing " + (signature == null ? SIGNATURE_HEADER : timestamp == null ? TIMESTAMP_HEADER
                    : DELIVERY_HEADER) + " header";
        }
        if (delivery.trim().length() > 200) {
            return DELIVERY_HEADER + " is longer than 200 characters";
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            return TIMESTAMP_HEADER + " is not a number of seconds since the epoch";
        }
        // Compared without subtracting: seconds near Long.MIN_VALUE would overflow and pass as "recent".
        long tolerance = WEBHOOK_TOLERANCE.toSeconds();
        if (seconds < now.getEpochSecond() - tolerance || seconds > now.getEpochSecond() + tolerance) {
            return "stale timestamp: " + TIMESTAMP_HEADER + " is more than " + WEBHOOK_TOLERANCE.toMinutes()
                    + " minutes from now (replayed, or the sender's clock is off)";
        }
        byte[] expected = ("v1=" + sign(secret, timestamp.trim() + "." + delivery.trim() + ".", body))
                .getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expected, signature.trim().getBytes(StandardCharsets.UTF_8))) {
            return "signature does not match the body under the webhook's secret";
        }
        return null;
    }

    /** {@code hex(HMAC-SHA256(secret, prefix + body))}: what a sender computes. */
    public static String sign(String secret, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    // ---------------------------------------------------------------- AWS events

    /**
     * An EventBridge event (directly from a rule, or as the body of a queued message): offered to every
     * metronome with an event trigger on its source.
     *
     * @throws IllegalArgumentException for something that is not an event (no id or source)
     */
    public List<TriggerEvent> event(JsonNode event) {
        String id = event.path("id").asText(null);
        String source = event.path("source").asText(null);
        if (id == null || source == null) {
            throw new IllegalArgumentException("not an EventBridge event (no id or source)");
        }
        Instant now = clock.instant();
        String detailType = event.path("detail-type").asText(null);
        List<TriggerEvent> out = new ArrayList<>();
        for (Metronome m : metronomes.listeningTo(source)) {
            Trigger t = m.parsedTrigger();
            Optional<TriggerEvent> earlier = earlier(m, "event", id);
            if (earlier.isPresent()) {
                out.add(earlier.get());
                continue;
            }
            ObjectNode payload = Json.object();
            payload.set("event", summary(event, event.toString().length()));
            if (t.detailType() != null && !t.detailType().equals(detailType)) {
                out.add(ignore(m, "event", id, "detail-type '" + detailType + "' is not '" + t.detailType() + "'",
                        payload, now));
                continue;
            }
            out.add(decide(m, "event", id, event, event, payload, source + " / " + detailType, now).event());
        }
        return out;
    }

    // ---------------------------------------------------------------- schedules

    /**
     * One scheduler tick: starts a run for each schedule that is due, found through the index of next fire
     * times. A tick that comes twice or late starts each fire time's run once (the idempotency key is the
     * metronome and the fire time). Catch-up policy: if several fire times passed while no tick came, only the
     * latest runs, and one {@code ignored} trigger event records how many were missed.
     */
    public List<TriggerEvent> tick() {
        Instant now = clock.instant();
        List<TriggerEvent> out = new ArrayList<>();
        for (Metronome m : metronomes.due(now)) {
            io.metronome.observe.LogContext.put(io.metronome.observe.LogContext.METRONOME_ID, m.id());
            try {
                fire(m, now, out);
            } catch (RuntimeException e) {
                // One metronome's trouble must not hold up the others; its schedule stays due for the next tick.
                LOG.warn("schedule of {} not fired this tick", m.id(), e);
            } finally {
                io.metronome.observe.LogContext.put(io.metronome.observe.LogContext.METRONOME_ID, null);
            }
        }
        return out;
    }

    private void fire(Metronome m, Instant now, List<TriggerEvent> out) {
        Trigger t = m.parsedTrigger();
        Instant first = m.nextFireAt();
        final Instant read = first; // the fire time the schedule is moved on from
        if (t.type() != Trigger.Type.SCHEDULE) {
            metronomes.advanceSchedule(m.id(), read, null);
            return;
        }
        Instant latest = first;
        int missed = 0;
        for (Instant n = t.schedule().nextAfter(latest, first); n != null && !n.isAfter(now) && missed < MAX_MISSED_COUNTED;
             n = t.schedule().nextAfter(latest, first)) {
            latest = n;
            missed++;
        }
        if (missed > 0 && runs.findByIdempotencyKey(m, "schedule:" + Times.format(first)).isPresent()) {
            // The first fire time did run: a tick stopped after starting it and before moving the schedule on.
            missed--;
            first = t.schedule().nextAfter(first, first);
        }
        if (missed > 0) {
            ObjectNode payload = Json.object().put("firstMissed", Times.format(first)).put("missed", missed);
            out.add(ignore(m, "schedule", "missed:" + Times.format(first), missed + " fire time"
                    + (missed == 1 ? "" : "s") + " from " + Times.format(first) + " passed while no tick came;"
                    + " catch-up policy: only the latest (" + Times.format(latest) + ") runs", payload, now));
        }
        String fire = Times.format(latest);
        ObjectNode payload = Json.object().put("fireTime", fire).put("expression", t.schedule().expression())
                .put("timezone", t.schedule().zone().getId());
        JsonNode input = t.input() == null ? Json.object().put("fireTime", fire) : t.input();
        out.add(start(m, "schedule", fire, input, payload, t.schedule().expression() + " fired for " + fire, now));
        metronomes.advanceSchedule(m.id(), read, t.schedule().nextAfter(latest, read));
    }

    // ---------------------------------------------------------------- listing

    public record TriggerEventPage(List<TriggerEvent> events, String nextCursor) {
    }

    public TriggerEventPage list(String userId, String metronomeId, Integer limit, String cursor) {
        int pageSize = limit == null ? 20 : limit;
        if (pageSize < 1 || pageSize > 100) {
            throw ApiException.validation("limit", "must be an integer from 1 to 100");
        }
        Metronome m = Ids.isValid(Ids.METRONOME, metronomeId) ? metronomes.find(metronomeId).orElse(null) : null;
        if (m == null || !m.userId().equals(userId)) {
            throw ApiException.notFound("metronome");
        }
        var page = events.list(metronomeId, pageSize, Cursors.decode(cursor, Map.of("metronomeId", metronomeId), "id",
                Ids.TRIGGER_EVENT));
        return new TriggerEventPage(page.events(), Cursors.encode(page.lastKey()));
    }

    // ---------------------------------------------------------------- outcomes

    /** What an earlier delivery of this source event came to: a run it started, or an outcome recorded once. */
    private Optional<TriggerEvent> earlier(Metronome m, String type, String sourceId) {
        Optional<TriggerEvent> recorded = events.findBySource(m.id(), type + ":" + sourceId);
        if (recorded.isPresent()) {
            return recorded;
        }
        return runs.findByIdempotencyKey(m, type + ":" + sourceId)
                .flatMap(run -> events.find(m.id(), run.triggerEventId()));
    }

    /** What came of a delivery; {@code refused} when the filter exceeded its budget. */
    private record Decided(TriggerEvent event, boolean refused) {
    }

    /** Filter, then start or ignore. {@code scope} is what the trigger's filter sees. */
    private Decided decide(Metronome m, String type, String sourceId, JsonNode input, JsonNode scope,
                           ObjectNode payload, String summary, Instant now) {
        Trigger t = m.parsedTrigger();
        boolean accepted;
        try {
            accepted = t.accepts(scope);
        } catch (ExpressionLimitException e) {
            // Refused, and the source id is not claimed: a redelivery is judged (and most likely refused) again.
            TriggerEvent refused = event(m, type, "failed", sourceId, "delivery refused", "the filter "
                    + e.getMessage(), payload, null, now);
            events.record(refused, REFUSED_KEPT_SECONDS);
            return new Decided(refused, true);
        } catch (Expressions.ExpressionException e) {
            return new Decided(ignore(m, type, sourceId, "the filter could not be evaluated: " + e.getMessage(),
                    payload, now), false);
        }
        if (!accepted) {
            return new Decided(ignore(m, type, sourceId, "the filter " + t.filter() + " was false", payload, now), false);
        }
        return new Decided(start(m, type, sourceId, input, payload, summary, now), false);
    }

    private TriggerEvent start(Metronome m, String type, String sourceId, JsonNode input, ObjectNode payload,
                               String summary, Instant now) {
        try {
            Run run = runs.start(m, input, type + ":" + sourceId, null, null, null, type, sourceId, summary, payload,
                    null, DEDUPE_SECONDS).run();
            return events.find(m.id(), run.triggerEventId()).orElseThrow();
        } catch (ApiException e) {
            TriggerEvent failed = event(m, type, "failed", sourceId, summary, "the run could not be started: "
                    + e.getMessage(), payload, null, now);
            return events.recordOnce(failed, type + ":" + sourceId, DEDUPE_SECONDS)
                    .flatMap(id -> events.find(m.id(), id)).orElse(failed);
        }
    }

    private TriggerEvent ignore(Metronome m, String type, String sourceId, String reason, ObjectNode payload, Instant now) {
        TriggerEvent ignored = event(m, type, "ignored", sourceId, "no run started", reason, payload, null, now);
        return events.recordOnce(ignored, type + ":" + sourceId, DEDUPE_SECONDS)
                .flatMap(id -> events.find(m.id(), id)).orElse(ignored);
    }

    private static TriggerEvent event(Metronome m, String type, String status, String sourceId, String summary,
                                      String reason, JsonNode payload, String runId, Instant now) {
        return new TriggerEvent(Ids.next(Ids.TRIGGER_EVENT), m.id(), m.userId(), runId, type, status, sourceId,
                summary, reason, payload, now);
    }

    /**
     * A delivery's body as JSON when it is JSON within the API's body limits, else as its text: a body nested too
     * deep or holding a lone surrogate escape is kept exactly as it came, never altered or refused after the
     * sender signed it.
     */
    private static JsonNode parse(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            if (text.isBlank()) {
                return Json.MAPPER.nullNode();
            }
            JsonNode json = Json.MAPPER.readTree(text);
            BodyLimits.check(json);
            return json;
        } catch (java.io.IOException | ApiException e) {
            return Json.MAPPER.getNodeFactory().textNode(text);
        }
    }

    /** The value itself, or for a large one its size and hash: a trigger event stays small. */
    private static JsonNode summary(JsonNode value, int bytes) {
        if (bytes <= PAYLOAD_KEPT_BYTES) {
            return value;
        }
        return Json.object().put("truncated", true).put("bytes", bytes).put("sha256", sha256(value.toString()));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
