package io.metronome.api.auth;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import io.metronome.engine.Engine;
import io.metronome.observe.Invocation;
import io.metronome.store.ApiKeyRepository;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP API's Lambda REQUEST authorizer (simple responses). It takes the key from
 * {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}, looks it up by its SHA-256, and hands the
 * key's {@code userId} to the handlers in the authorizer context.
 *
 * <p>It lets every request through and says who the caller is, or that there is none ({@code userId} empty,
 * with the reason): a denial from an HTTP API authorizer becomes API Gateway's own bare 403, while the
 * contract answers a missing or unknown key with 401 and its error envelope, which the handlers then send.
 * The key itself is never logged or stored.
 *
 * <p>API Gateway cannot cache these results (a cache key must be one header, and the key may come in either of
 * two), so a container remembers the keys it resolved for {@link #REMEMBER}: a revoked key keeps working in a
 * warm container for at most that long. Unknown keys are not remembered, so a new key works at once.
 */
public final class ApiKeyAuthorizer implements RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse> {
    static final Duration REMEMBER = Duration.ofSeconds(60);
    private static final int MAX_KEY_LENGTH = 256;
    private static final int MAX_REMEMBERED = 10_000;

    private record Known(String userId, Instant until) {
    }

    private final ApiKeyRepository keys;
    private final Clock clock;
    private final Map<String, Known> known = new ConcurrentHashMap<>();

    public ApiKeyAuthorizer() {
        this(Engine.shared().apiKeys);
    }

    public ApiKeyAuthorizer(ApiKeyRepository keys) {
        this(keys, Clock.systemUTC());
    }

    ApiKeyAuthorizer(ApiKeyRepository keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    @Override
    public SimpleIAMPolicyResponse handleRequest(APIGatewayV2CustomAuthorizerEvent event, Context context) {
        return Invocation.run(context, () -> authorize(event));
    }

    private SimpleIAMPolicyResponse authorize(APIGatewayV2CustomAuthorizerEvent event) {
        String key = key(event.getHeaders());
        String userId = null;
        String reason;
        if (key == null) {
            reason = "no API key was sent";
        } else if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            reason = "the API key is not valid";
        } else {
            userId = lookUp(key);
            reason = userId == null ? "the API key is not valid" : "ok";
        }
        return SimpleIAMPolicyResponse.builder().withIsAuthorized(true)
                .withContext(Map.of("userId", userId == null ? "" : userId, "reason", reason)).build();
    }

    private String lookUp(String key) {
        String hash = ApiKeyRepository.hash(key);
        Instant now = clock.instant();
        Known k = known.get(hash);
        if (k != null && now.isBefore(k.until())) {
            return k.userId();
        }
        String userId = keys.userFor(key).orElse(null);
        if (userId != null) {
            if (known.size() >= MAX_REMEMBERED) {
                known.clear();
            }
            known.put(hash, new Known(userId, now.plus(REMEMBER)));
        }
        return userId;
    }

    /** The key from either header (header names are case-insensitive); null if neither is present. */
    static String key(Map<String, String> headers) {
        if (headers == null) {
            return null;
        }
        String apiKey = null;
        String authorization = null;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase("authorization")) {
                authorization = h.getValue();
            } else if (h.getKey().equalsIgnoreCase("x-api-key")) {
                apiKey = h.getValue();
            }
        }
        if (authorization != null) {
            String value = authorization.trim();
            return value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7).trim() : "";
        }
        return apiKey == null ? null : apiKey.trim();
    }
}
