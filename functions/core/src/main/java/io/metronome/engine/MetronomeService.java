package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.Definition;
import io.metronome.domain.DefinitionParser;
import io.metronome.domain.Ids;
import io.metronome.domain.Metronome;
import io.metronome.domain.MetronomeVersion;
import io.metronome.domain.RequestBody;
import io.metronome.domain.Trigger;
import io.metronome.egress.EgressPolicy;
import io.metronome.store.Cursors;
import io.metronome.store.MetronomeRepository;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Creating, changing and reading metronomes. Every save is a new immutable version; runs keep theirs. */
public final class MetronomeService {
    private static final Set<String> FIELDS = Set.of("name", "description", "trigger", "definition", "maxAttempts", "timeoutMs");

    private final MetronomeRepository metronomes;
    private final EgressPolicy egress;
    private final Clock clock;

    /** @param egress what a literal URL in a definition is checked against when it is saved */
    public MetronomeService(MetronomeRepository metronomes, EgressPolicy egress, Clock clock) {
        this.metronomes = metronomes;
        this.egress = egress;
        this.clock = clock;
    }

    public record MetronomePage(List<Metronome> metronomes, String nextCursor) {
    }

    /** A saved metronome, and its webhook secret if this save made one (it is shown this once). */
    public record Saved(Metronome metronome, String newWebhookSecret) {
    }

    public Saved create(String userId, JsonNode body) {
        return create(userId, Ids.next(Ids.METRONOME), Ids.next(Ids.VERSION), body);
    }

    /**
     * Creates a metronome under given ids: for sample data that files in {@code events/} refer to by id. Not
     * reachable through the API.
     */
    public Saved create(String userId, String id, String versionId, JsonNode body) {
        Instant now = clock.instant();
        Parsed p = parse(body);
        MetronomeVersion v = new MetronomeVersion(versionId, id, 1, p.definition, p.maxAttempts,
                p.timeoutMs, now);
        String secret = p.trigger.type() == Trigger.Type.WEBHOOK ? newSecret() : null;
        Metronome m = new Metronome(id, userId, p.name, p.description, p.trigger.json(), p.definition.source(), v.id(),
                1, p.maxAttempts, p.timeoutMs, now, now, secret, firstFire(p.trigger, now));
        metronomes.save(m, v, null);
        return new Saved(m, secret);
    }

    public Saved update(String userId, String metronomeId, JsonNode body) {
        Parsed p = parse(body);
        Metronome old = get(userId, metronomeId);
        Instant now = clock.instant();
        MetronomeVersion v = new MetronomeVersion(Ids.next(Ids.VERSION), old.id(), old.versionNumber() + 1,
                p.definition, p.maxAttempts, p.timeoutMs, now);
        boolean webhook = p.trigger.type() == Trigger.Type.WEBHOOK;
        String newSecret = webhook && old.webhookSecret() == null ? newSecret() : null;
        String secret = webhook ? (newSecret != null ? newSecret : old.webhookSecret()) : null;
        // An unchanged schedule keeps its next fire time; a new one starts counting now.
        Instant nextFire = p.trigger.json().equals(old.trigger()) && old.nextFireAt() != null ? old.nextFireAt()
                : firstFire(p.trigger, now);
        Metronome m = new Metronome(old.id(), userId, p.name, p.description, p.trigger.json(), p.definition.source(),
                v.id(), v.number(), p.maxAttempts, p.timeoutMs, old.createdAt(), now, secret, nextFire);
        try {
            metronomes.save(m, v, old.webhookSecret());
        } catch (MetronomeRepository.StaleVersion e) {
            throw ApiException.invalidState("the metronome was changed by another request; read it and try again");
        }
        return new Saved(m, newSecret);
    }

    /** Replaces a webhook trigger's secret; the new one is returned this once. 409 if there is no webhook. */
    public String rotateWebhookSecret(String userId, String metronomeId) {
        Metronome m = get(userId, metronomeId);
        if (m.parsedTrigger().type() != Trigger.Type.WEBHOOK) {
            throw ApiException.invalidState("metronome " + metronomeId + " has no webhook trigger");
        }
        String secret = newSecret();
        metronomes.rotateSecret(metronomeId, secret, clock.instant());
        return secret;
    }

    private static Instant firstFire(Trigger t, Instant now) {
        return t.type() == Trigger.Type.SCHEDULE ? t.schedule().nextAfter(now, now) : null;
    }

    private static String newSecret() {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        return "whsec_" + java.util.HexFormat.of().formatHex(random);
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    public Metronome get(String userId, String metronomeId) {
        if (!Ids.isValid(Ids.METRONOME, metronomeId)) {
            throw ApiException.notFound("metronome");
        }
        return metronomes.find(metronomeId).filter(m -> m.userId().equals(userId))
                .orElseThrow(() -> ApiException.notFound("metronome"));
    }

    public MetronomePage list(String userId, Integer limit, String cursor) {
        int pageSize = limit == null ? 20 : limit;
        if (pageSize < 1 || pageSize > 100) {
            throw ApiException.validation("limit", "must be an integer from 1 to 100");
        }
        var page = metronomes.listByUser(userId, pageSize, Cursors.decode(cursor, Map.of("userId", userId), "metronomeId",
                Ids.METRONOME));
        return new MetronomePage(page.metronomes(), Cursors.encode(page.lastKey()));
    }

    private record Parsed(String name, String description, Trigger trigger, Definition definition, int maxAttempts,
                          long timeoutMs) {
    }

    private Parsed parse(JsonNode body) {
        RequestBody b = new RequestBody(body, FIELDS);
        String name = b.text("name", true, 200);
        String description = b.text("description", false, 2000);
        Long maxAttempts = b.integer("maxAttempts", 1, 20);
        Long timeoutMs = b.integer("timeoutMs", 1000, RunService.MAX_TIMEOUT_MS);
        List<ApiException.ErrorDetail> triggerErrors = new java.util.ArrayList<>();
        Trigger trigger = Trigger.parse(b.raw("trigger"), "trigger", triggerErrors);
        b.addAll(triggerErrors);
        Definition definition = null;
        try {
            definition = DefinitionParser.parse(b.raw("definition"), "definition", egress);
        } catch (ApiException e) {
            b.addAll(e.details());
        }
        b.check();
        return new Parsed(name, description, trigger, definition, maxAttempts == null ? 3 : maxAttempts.intValue(),
                timeoutMs == null ? 0 : timeoutMs);
    }
}
