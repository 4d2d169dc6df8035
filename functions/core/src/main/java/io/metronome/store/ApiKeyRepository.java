package io.metronome.store;

import io.metronome.domain.Ids;
import io.metronome.domain.Times;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The API keys table (key: keyHash; index {@code byUser}: userId, keyId). A key is stored only as the hex SHA-256
 * of its text, with the user it belongs to, a public id that names it ({@code key_...}), a label, when it was
 * made and, once revoked, when it was revoked: a key is looked up by hashing what the caller sent, and never kept
 * or logged in the clear.
 */
public final class ApiKeyRepository {
    /** Every key made here: this prefix and 48 hex digits (24 random bytes). */
    public static final String KEY_PREFIX = "mk_";

    /** What may be shown of a key: everything but the key and its hash. */
    public record ApiKey(String id, String userId, String label, Instant createdAt, Instant revokedAt) {
        public boolean revoked() {
            return revokedAt != null;
        }
    }

    /** A new key: {@code key} is its only copy in the clear. */
    public record Issued(String key, ApiKey apiKey) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final DynamoDbClient dynamo;
    private final Tables tables;

    public ApiKeyRepository(DynamoDbClient dynamo, Tables tables) {
        this.dynamo = dynamo;
        this.tables = tables;
    }

    public static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A new random key, in the one format keys have. */
    public static String newKey() {
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        return KEY_PREFIX + HexFormat.of().formatHex(random);
    }

    /**
     * The id of a key registered without one (by the local stack, or by hand before keys had ids): derived from its
     * hash, so it is the same at every registration and every listing.
     */
    static String derivedId(String keyHash) {
        return Ids.derived(Ids.API_KEY, Instant.EPOCH, keyHash);
    }

    /** Makes a new key for a user. Never replaces a key: the write requires its hash to be new. */
    public Issued create(String userId, String label, Instant now) {
        String key = newKey();
        ApiKey apiKey = new ApiKey(Ids.next(Ids.API_KEY), userId, label, now, null);
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("keyHash", Items.s(hash(key)));
        item.put("keyId", Items.s(apiKey.id()));
        item.put("userId", Items.s(userId));
        item.put("createdAt", Items.s(Times.format(now)));
        if (label != null) {
            item.put("label", Items.s(label));
        }
        dynamo.putItem(r -> r.tableName(tables.apiKeys()).item(item).conditionExpression("attribute_not_exists(keyHash)"));
        return new Issued(key, apiKey);
    }

    /**
     * Registers a key given in full for a user (the local stack's keys): it keeps its id and creation time across
     * registrations, and a registration undoes a revocation.
     */
    public void put(String key, String userId, Instant now) {
        String keyHash = hash(key);
        dynamo.updateItem(r -> r.tableName(tables.apiKeys()).key(Items.key("keyHash", keyHash))
                .updateExpression("SET userId = :u, keyId = :id, createdAt = if_not_exists(createdAt, :now) REMOVE revokedAt")
                .expressionAttributeValues(Map.of(":u", Items.s(userId), ":id", Items.s(derivedId(keyHash)),
                        ":now", Items.s(Times.format(now)))));
    }

    /**
     * The user a key belongs to, unless it was revoked. A strongly consistent read, so a key works as soon as it is
     * registered and is refused as soon as it is revoked.
     */
    public Optional<String> userFor(String key) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.apiKeys())
                .key(Items.key("keyHash", hash(key))).consistentRead(true)).item();
        if (item == null || item.isEmpty() || item.containsKey("revokedAt")) {
            return Optional.empty();
        }
        return Optional.ofNullable(Items.str(item, "userId"));
    }

    /** A user's keys, oldest first, through the {@code byUser} index (eventually consistent, like every index). */
    public List<ApiKey> list(String userId) {
        return Items.queryAll(dynamo, QueryRequest.builder().tableName(tables.apiKeys()).indexName(Tables.API_KEYS_BY_USER)
                        .keyConditionExpression("userId = :u").expressionAttributeValues(Map.of(":u", Items.s(userId))).build())
                .stream().map(ApiKeyRepository::fromItem).toList();
    }

    /**
     * Every key, by user and then oldest first. A scan: for an administrator, on a table of one small item per key.
     * Keys put in by hand without an id are listed too, under their derived id.
     */
    public List<ApiKey> listAll() {
        List<ApiKey> keys = new ArrayList<>(scanAll().stream().map(ApiKeyRepository::fromItem).toList());
        keys.sort(Comparator.comparing(ApiKey::userId, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparing(ApiKey::id));
        return keys;
    }

    /**
     * Revokes the key with this id, if there is one; revoking it again changes nothing and returns it as it is
     * (revoked at the first time). Finding a key by its id is a scan, as in {@link #listAll}.
     */
    public Optional<ApiKey> revoke(String keyId, Instant now) {
        Optional<Map<String, AttributeValue>> found = scanAll().stream().filter(item -> id(item).equals(keyId)).findFirst();
        if (found.isEmpty()) {
            return Optional.empty();
        }
        String keyHash = Items.str(found.get(), "keyHash");
        try {
            // keyId is written too, so a key put in by hand without one keeps the id it was revoked under.
            Map<String, AttributeValue> after = dynamo.updateItem(r -> r.tableName(tables.apiKeys())
                    .key(Items.key("keyHash", keyHash))
                    .updateExpression("SET revokedAt = :now, keyId = :id")
                    .conditionExpression("attribute_exists(keyHash) AND attribute_not_exists(revokedAt)")
                    .expressionAttributeValues(Map.of(":now", Items.s(Times.format(now)), ":id", Items.s(keyId)))
                    .returnValues(ReturnValue.ALL_NEW)
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)).attributes();
            return Optional.of(fromItem(after));
        } catch (ConditionalCheckFailedException e) {
            Map<String, AttributeValue> current = e.item();
            return current == null || current.isEmpty() ? Optional.empty() : Optional.of(fromItem(current));
        }
    }

    private List<Map<String, AttributeValue>> scanAll() {
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            var page = dynamo.scan(r -> r.tableName(tables.apiKeys()).consistentRead(true).exclusiveStartKey(from));
            items.addAll(page.items());
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return items;
    }

    private static String id(Map<String, AttributeValue> item) {
        String id = Items.str(item, "keyId");
        return id != null ? id : derivedId(Items.str(item, "keyHash"));
    }

    private static ApiKey fromItem(Map<String, AttributeValue> item) {
        return new ApiKey(id(item), Items.str(item, "userId"), Items.str(item, "label"),
                Times.parse(Items.str(item, "createdAt")), Times.parse(Items.str(item, "revokedAt")));
    }
}
