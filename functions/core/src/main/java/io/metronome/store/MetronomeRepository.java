package io.metronome.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.MetronomeVersion;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static io.metronome.store.Items.json;
import static io.metronome.store.Items.n;
import static io.metronome.store.Items.num;
import static io.metronome.store.Items.s;
import static io.metronome.store.Items.str;
import static io.metronome.store.Items.time;

/**
 * The metronomes table (key: metronomeId; index byUser) and the versions table (key: metronomeId, versionId).
 * A save writes the metronome and its new immutable version in one transaction. Versions never change, so they
 * are cached for the life of the container.
 *
 * <p>A definition is kept on both items: as JSON text in {@code definition} up to {@link #COMPRESS_ABOVE_BYTES},
 * and gzip-compressed as binary in {@code definitionGz} above it. A large definition's JSON repeats the same
 * field names and node configs over and over and shrinks several times over, and every byte counts more than
 * once: against the 400 KB item limit, in read units (4 KB) for each version a container loads, and in write
 * units (1 KB) on the metronome item and on each of its indexes, which project all attributes. Small ones stay
 * plain text, readable in the console. Either form is read, so items written before this are read as they are.
 */
public final class MetronomeRepository {
    /** Definitions whose JSON is larger than this (in UTF-8 bytes) are stored compressed. */
    public static final int COMPRESS_ABOVE_BYTES = 32 * 1024;
    static final String DEFINITION = "definition";
    static final String DEFINITION_GZ = "definitionGz";

    private final DynamoDbClient dynamo;
    private final Tables tables;
    private final Map<String, MetronomeVersion> versionCache = new ConcurrentHashMap<>();

    public MetronomeRepository(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    public record Page(List<Metronome> metronomes, Map<String, AttributeValue> lastKey) {
    }

    /** Thrown when a save lost a race with another save of the same metronome. */
    public static final class StaleVersion extends RuntimeException {
        public StaleVersion() {
            super("the metronome was changed by another request", null, false, false);
        }
    }

    /**
     * Writes a new metronome, or a new version of one: {@code m.versionNumber()} must be the previous + 1, and the
     * webhook secret must still be {@code secretRead} (a rotation since the read is not written back).
     */
    public void save(Metronome m, MetronomeVersion v, String secretRead) {
        Put.Builder put = Put.builder().tableName(tables.metronomes()).item(toItem(m));
        if (m.versionNumber() == 1) {
            put.conditionExpression("attribute_not_exists(metronomeId)");
        } else if (secretRead == null) {
            put.conditionExpression("versionNumber = :prev AND attribute_not_exists(webhookSecret)")
                    .expressionAttributeValues(Map.of(":prev", n(m.versionNumber() - 1)));
        } else {
            put.conditionExpression("versionNumber = :prev AND webhookSecret = :secret")
                    .expressionAttributeValues(Map.of(":prev", n(m.versionNumber() - 1), ":secret", s(secretRead)));
        }
        Put metronome = put.build();
        Map<String, AttributeValue> version = new HashMap<>();
        version.put("metronomeId", s(v.metronomeId()));
        version.put("versionId", s(v.id()));
        version.put("number", n(v.number()));
        putDefinition(version, v.definitionJson());
        version.put("maxAttempts", n(v.maxAttempts()));
        version.put("timeoutMs", n(v.timeoutMs()));
        version.put("createdAt", time(v.createdAt()));
        try {
            dynamo.transactWriteItems(r -> r.transactItems(
                    TransactWriteItem.builder().put(metronome).build(),
                    TransactWriteItem.builder().put(Put.builder().tableName(tables.versions()).item(version)
                            .conditionExpression("attribute_not_exists(versionId)").build()).build()));
        } catch (TransactionCanceledException e) {
            throw new StaleVersion();
        }
        versionCache.put(v.id(), v);
    }

    public Optional<Metronome> find(String metronomeId) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.metronomes())
                .key(Items.key("metronomeId", metronomeId)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(fromItem(item));
    }

    public MetronomeVersion version(String metronomeId, String versionId) {
        return versionCache.computeIfAbsent(versionId, id -> {
            Map<String, AttributeValue> m = dynamo.getItem(r -> r.tableName(tables.versions())
                    .key(Items.key("metronomeId", metronomeId, "versionId", id))).item();
            if (m == null || m.isEmpty()) {
                throw new IllegalStateException("version " + id + " of " + metronomeId + " does not exist");
            }
            return new MetronomeVersion(str(m, "versionId"), str(m, "metronomeId"), (int) num(m, "number"),
                    definition(m), (int) num(m, "maxAttempts"), num(m, "timeoutMs"), time(m, "createdAt"));
        });
    }

    /** Metronomes whose schedule is due (next fire time at or before {@code now}), through the sparse index. */
    public List<Metronome> due(Instant now) {
        return Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.metronomes())
                        .indexName(Tables.METRONOMES_BY_NEXT_FIRE)
                        .keyConditionExpression("scheduleShard = :s AND nextFireAt <= :now")
                        .expressionAttributeValues(Map.of(":s", s(Tables.SCHEDULED), ":now", time(now))).build())
                .stream().map(MetronomeRepository::fromItem).toList();
    }

    /** Metronomes with an event trigger on this source, through the sparse index. */
    public List<Metronome> listeningTo(String source) {
        return Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.metronomes())
                        .indexName(Tables.METRONOMES_BY_EVENT_SOURCE).keyConditionExpression("eventSource = :s")
                        .expressionAttributeValues(Map.of(":s", s(source))).build())
                .stream().map(MetronomeRepository::fromItem).toList();
    }

    /**
     * Moves a schedule on from the fire time it was read at; false if another tick (or a save) moved it first.
     * {@code next} null means the schedule never fires again, and the metronome leaves the index.
     */
    public boolean advanceSchedule(String metronomeId, Instant from, Instant next) {
        try {
            dynamo.updateItem(r -> r.tableName(tables.metronomes()).key(Items.key("metronomeId", metronomeId))
                    .updateExpression(next == null ? "REMOVE nextFireAt, scheduleShard" : "SET nextFireAt = :next")
                    .conditionExpression("nextFireAt = :from")
                    .expressionAttributeValues(next == null ? Map.of(":from", time(from))
                            : Map.of(":from", time(from), ":next", time(next))));
            return true;
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** Replaces a webhook's secret. */
    public void rotateSecret(String metronomeId, String secret, Instant now) {
        dynamo.updateItem(r -> r.tableName(tables.metronomes()).key(Items.key("metronomeId", metronomeId))
                .updateExpression("SET webhookSecret = :s, updatedAt = :now")
                .conditionExpression("attribute_exists(metronomeId)")
                .expressionAttributeValues(Map.of(":s", s(secret), ":now", time(now))));
    }

    /** A user's metronomes, newest first, through the byUser index. */
    public Page listByUser(String userId, int limit, Map<String, AttributeValue> startKey) {
        QueryRequest.Builder q = QueryRequest.builder().tableName(tables.metronomes()).indexName(Tables.METRONOMES_BY_USER)
                .keyConditionExpression("userId = :u").expressionAttributeValues(Map.of(":u", s(userId)))
                .scanIndexForward(false).limit(limit);
        if (startKey != null) {
            q.exclusiveStartKey(startKey);
        }
        QueryResponse response = dynamo.query(q.build());
        return new Page(response.items().stream().map(MetronomeRepository::fromItem).toList(),
                response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty() ? response.lastEvaluatedKey() : null);
    }

    static Map<String, AttributeValue> toItem(Metronome m) {
        Map<String, AttributeValue> i = new HashMap<>();
        i.put("metronomeId", s(m.id()));
        i.put("userId", s(m.userId()));
        i.put("name", s(m.name()));
        i.put("description", s(m.description()));
        i.put("trigger", json(m.trigger()));
        putDefinition(i, m.definition());
        i.put("versionId", s(m.versionId()));
        i.put("versionNumber", n(m.versionNumber()));
        i.put("maxAttempts", n(m.maxAttempts()));
        i.put("timeoutMs", n(m.timeoutMs()));
        i.put("createdAt", time(m.createdAt()));
        i.put("updatedAt", time(m.updatedAt()));
        if (m.webhookSecret() != null) {
            i.put("webhookSecret", s(m.webhookSecret()));
        }
        // Index keys are written only where they apply, so the indexes hold only those metronomes.
        if (m.nextFireAt() != null) {
            i.put("scheduleShard", s(Tables.SCHEDULED));
            i.put("nextFireAt", time(m.nextFireAt()));
        }
        String source = m.trigger() == null ? null : m.trigger().path("type").asText().equals("event")
                ? m.trigger().path("source").asText(null) : null;
        if (source != null) {
            i.put("eventSource", s(source));
        }
        return i;
    }

    static Metronome fromItem(Map<String, AttributeValue> i) {
        return new Metronome(str(i, "metronomeId"), str(i, "userId"), str(i, "name"), str(i, "description"),
                json(i, "trigger"), definition(i), str(i, "versionId"), (int) num(i, "versionNumber"),
                (int) num(i, "maxAttempts"), num(i, "timeoutMs"), time(i, "createdAt"), time(i, "updatedAt"),
                str(i, "webhookSecret"), time(i, "nextFireAt"));
    }

    /** Puts a definition on an item as text, or compressed when it is large (see the class comment). */
    static void putDefinition(Map<String, AttributeValue> item, JsonNode definition) {
        String text = Json.text(definition);
        byte[] utf8 = text == null ? null : text.getBytes(StandardCharsets.UTF_8);
        if (utf8 == null || utf8.length <= COMPRESS_ABOVE_BYTES) {
            item.put(DEFINITION, json(definition));
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(utf8.length / 4);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(utf8);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: does not happen
        }
        item.put(DEFINITION_GZ, AttributeValue.fromB(SdkBytes.fromByteArrayUnsafe(out.toByteArray())));
    }

    /** An item's definition, from whichever form it was stored in. */
    static JsonNode definition(Map<String, AttributeValue> item) {
        AttributeValue gz = item.get(DEFINITION_GZ);
        if (gz == null || gz.b() == null) {
            return json(item, DEFINITION);
        }
        try (InputStream in = new GZIPInputStream(gz.b().asInputStream())) {
            return Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("stored definition is corrupt", e);
        }
    }
}
