package io.metronome.store;

import io.metronome.domain.Ids;
import io.metronome.store.ApiKeyRepository.ApiKey;
import io.metronome.testing.TestStack;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The API keys table on the DynamoDB emulator: what is stored, lists, revocation, and the local stack's keys. */
class ApiKeyRepositoryTest {
    private final TestStack stack = TestStack.get();
    private final ApiKeyRepository keys = new ApiKeyRepository(stack.dynamo, stack.tables);
    private final String user = "u-" + UUID.randomUUID();

    @Test
    void aNewKeyIsStoredAsItsHashWithItsIdUserLabelAndTime() {
        Instant now = Instant.parse("2026-03-01T10:00:00Z");
        ApiKeyRepository.Issued issued = keys.create(user, "ci", now);

        assertThat(issued.key()).matches("mk_[0-9a-f]{48}");
        assertThat(Ids.isValid(Ids.API_KEY, issued.apiKey().id())).isTrue();
        Map<String, AttributeValue> item = item(ApiKeyRepository.hash(issued.key()));
        assertThat(item.keySet()).containsExactlyInAnyOrder("keyHash", "keyId", "userId", "label", "createdAt");
        assertThat(item.toString()).doesNotContain(issued.key());
        assertThat(item.get("createdAt").s()).isEqualTo("2026-03-01T10:00:00.000Z");
        assertThat(keys.userFor(issued.key())).contains(user);
    }

    @Test
    void aUsersKeysAreListedOldestFirstAndRevokingIsIdempotent() {
        ApiKey first = keys.create(user, "one", Instant.now()).apiKey();
        ApiKey second = keys.create(user, null, Instant.now()).apiKey();
        keys.create("someone-else-" + UUID.randomUUID(), "other", Instant.now());

        assertThat(keys.list(user)).extracting(ApiKey::id).containsExactly(first.id(), second.id());
        assertThat(keys.listAll()).extracting(ApiKey::id).contains(first.id(), second.id());

        Instant at = Instant.parse("2026-03-01T11:00:00Z");
        ApiKey revoked = keys.revoke(first.id(), at).orElseThrow();
        assertThat(revoked.revokedAt()).isEqualTo(at);
        assertThat(keys.revoke(first.id(), at.plusSeconds(60))).as("revoked again: kept as it was").contains(revoked);
        assertThat(keys.list(user)).filteredOn(ApiKey::revoked).extracting(ApiKey::id).containsExactly(first.id());
        assertThat(keys.revoke(Ids.next(Ids.API_KEY), at)).isEmpty();
    }

    @Test
    void aKeyRegisteredInFullKeepsItsIdAndCreationAndIsUsableAgainAfterARegistration() {
        String key = "local-" + UUID.randomUUID();
        keys.put(key, user, Instant.parse("2026-01-01T00:00:00Z"));
        ApiKey registered = keys.list(user).get(0);
        keys.revoke(registered.id(), Instant.now());
        assertThat(keys.userFor(key)).isEmpty();

        keys.put(key, user, Instant.parse("2026-02-01T00:00:00Z"));
        assertThat(keys.userFor(key)).contains(user);
        assertThat(keys.list(user)).singleElement().satisfies(k -> {
            assertThat(k.id()).isEqualTo(registered.id());
            assertThat(k.createdAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
            assertThat(k.revoked()).isFalse();
        });
    }

    @Test
    void aKeyPutInByHandWithoutAnIdIsListedAndRevokedUnderItsDerivedId() {
        String key = "by-hand-" + UUID.randomUUID();
        String hash = ApiKeyRepository.hash(key);
        stack.plainDynamo.putItem(r -> r.tableName(stack.tables.apiKeys()).item(Map.of(
                "keyHash", AttributeValue.fromS(hash), "userId", AttributeValue.fromS(user))));

        ApiKey listed = keys.listAll().stream().filter(k -> user.equals(k.userId())).findFirst().orElseThrow();
        assertThat(listed.id()).isEqualTo(ApiKeyRepository.derivedId(hash));
        assertThat(keys.revoke(listed.id(), Instant.now())).isPresent();
        assertThat(keys.userFor(key)).isEmpty();
        assertThat(item(hash).get("keyId").s()).as("now in the byUser index").isEqualTo(listed.id());
    }

    private Map<String, AttributeValue> item(String hash) {
        return stack.plainDynamo.getItem(r -> r.tableName(stack.tables.apiKeys())
                .key(Map.of("keyHash", AttributeValue.fromS(hash)))).item();
    }
}
