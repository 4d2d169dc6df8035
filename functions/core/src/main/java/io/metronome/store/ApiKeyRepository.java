package io.metronome.store;

import io.metronome.domain.Times;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The API keys table (key: keyHash). A key is stored only as the hex SHA-256 of its text, with the user it
 * belongs to: a key is looked up by hashing what the caller sent, and never kept or logged in the clear.
 */
public final class ApiKeyRepository {
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

    /** Registers a key for a user (replacing the user it named before, if any). */
    public void put(String key, String userId, Instant now) {
        dynamo.putItem(r -> r.tableName(tables.apiKeys()).item(Map.of(
                "keyHash", Items.s(hash(key)), "userId", Items.s(userId), "createdAt", Items.s(Times.format(now)))));
    }

    /** The user a key belongs to. A strongly consistent read, so a key works as soon as it is registered. */
    public Optional<String> userFor(String key) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(tables.apiKeys())
                .key(Items.key("keyHash", hash(key))).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.ofNullable(Items.str(item, "userId"));
    }
}
