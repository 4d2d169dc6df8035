package io.metronome.api.auth;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import io.metronome.store.ApiKeyRepository;
import io.metronome.testing.TestStack;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The authorizer on the DynamoDB emulator: keys stored as hashes, both headers, and how often it reads the table. */
class ApiKeyAuthorizerTest {
    private final TestStack stack = TestStack.get();
    private final ApiKeyRepository keys = new ApiKeyRepository(stack.dynamo, stack.tables);
    private final MovableClock clock = new MovableClock();
    private final ApiKeyAuthorizer authorizer = new ApiKeyAuthorizer(keys, clock);

    private Map<String, String> authorize(Map<String, String> headers) {
        APIGatewayV2CustomAuthorizerEvent event = new APIGatewayV2CustomAuthorizerEvent();
        event.setHeaders(headers);
        SimpleIAMPolicyResponse r = authorizer.handleRequest(event, null);
        assertThat(r.getIsAuthorized()).as("the handlers answer 401 themselves").isTrue();
        return r.getContext();
    }

    @Test
    void aKeyInEitherHeaderNamesItsUserAndIsStoredOnlyAsAHash() {
        String key = "key-" + UUID.randomUUID();
        keys.put(key, "ann", Instant.now());

        assertThat(authorize(Map.of("Authorization", "Bearer " + key))).containsEntry("userId", "ann");
        assertThat(authorize(Map.of("x-api-key", key))).containsEntry("userId", "ann");
        assertThat(authorize(Map.of("authorization", "bearer  " + key + " "))).containsEntry("userId", "ann");

        var stored = stack.plainDynamo.scan(r -> r.tableName(stack.tables.apiKeys())).items();
        assertThat(stored.toString()).doesNotContain(key).contains(ApiKeyRepository.hash(key));
    }

    @Test
    void missingWrongAndMalformedKeysNameNoUser() {
        assertThat(authorize(Map.of())).containsEntry("userId", "").containsEntry("reason", "no API key was sent");
        assertThat(authorize(Map.of("Authorization", "Bearer nope"))).containsEntry("userId", "");
        assertThat(authorize(Map.of("Authorization", "Basic abc"))).containsEntry("userId", "");
        assertThat(authorize(Map.of("X-API-Key", "x".repeat(300)))).containsEntry("userId", "");
    }

    @Test
    void aWarmContainerLooksAKeyUpOncePerMinute() {
        String key = "key-" + UUID.randomUUID();
        keys.put(key, "bo", Instant.now());
        stack.counter.reset();

        for (int i = 0; i < 5; i++) {
            assertThat(authorize(Map.of("X-API-Key", key))).containsEntry("userId", "bo");
        }
        assertThat(stack.counter.byOperation()).containsEntry("DynamoDb.GetItem", 1);

        clock.advance(ApiKeyAuthorizer.REMEMBER.plusSeconds(1));
        authorize(Map.of("X-API-Key", key));
        assertThat(stack.counter.byOperation()).containsEntry("DynamoDb.GetItem", 2);

        // Unknown keys are not remembered: a key registered a moment later works at once.
        String fresh = "key-" + UUID.randomUUID();
        assertThat(authorize(Map.of("X-API-Key", fresh))).containsEntry("userId", "");
        keys.put(fresh, "cy", Instant.now());
        assertThat(authorize(Map.of("X-API-Key", fresh))).containsEntry("userId", "cy");
    }

    @Test
    void aRevokedKeyNamesNoUserOnceItIsReadAgain() {
        ApiKeyRepository.Issued fresh = keys.create("dee", "never used", Instant.now());
        ApiKeyRepository.Issued used = keys.create("dee", "in use", Instant.now());
        assertThat(authorize(Map.of("X-API-Key", used.key()))).containsEntry("userId", "dee");

        assertThat(keys.revoke(fresh.apiKey().id(), Instant.now())).get().extracting(ApiKeyRepository.ApiKey::revoked).isEqualTo(true);
        assertThat(keys.revoke(used.apiKey().id(), Instant.now())).isPresent();

        // A key this container had not resolved is refused at once.
        assertThat(authorize(Map.of("X-API-Key", fresh.key()))).containsEntry("userId", "")
                .containsEntry("reason", "the API key is not valid");
        // One it resolved a moment ago is remembered for at most REMEMBER, then refused.
        assertThat(authorize(Map.of("X-API-Key", used.key()))).containsEntry("userId", "dee");
        clock.advance(ApiKeyAuthorizer.REMEMBER.plusSeconds(1));
        assertThat(authorize(Map.of("X-API-Key", used.key()))).containsEntry("userId", "");
    }

    private static final class MovableClock extends Clock {
        private Instant now = Instant.now();

        void advance(java.time.Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
