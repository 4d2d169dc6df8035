package io.metronome.api.auth;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import io.metronome.engine.Engine;
import io.metronome.store.ApiKeyRepository;

import java.util.Map;

/**
 * The HTTP API's Lambda REQUEST authorizer (simple responses). It takes the key from
 * {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}, looks it up by its SHA-256, and hands the
 * key's {@code userId} to the handlers in the authorizer context.
 *
 * <p>It lets every request through and says who the caller is, or that there is none ({@code userId} empty,
 * with the reason): a denial from an HTTP API authorizer becomes API Gateway's own bare 403, while the
 * contract answers a missing or unknown key with 401 and its error envelope, which the handlers then send.
 * The key itself is never logged or stored.
 */
public final class ApiKeyAuthorizer implements RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse> {
    private static final int MAX_KEY_LENGTH = 256;

    private final ApiKeyRepository keys;

    public ApiKeyAuthorizer() {
        this(Engine.shared().apiKeys);
    }

    public ApiKeyAuthorizer(ApiKeyRepository keys) {
        this.keys = keys;
    }

    @Override
    public SimpleIAMPolicyResponse handleRequest(APIGatewayV2CustomAuthorizerEvent event, Context context) {
        String key = key(event.getHeaders());
        String userId = null;
        String reason;
        if (key == null) {
            reason = "no API key was sent";
        } else if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            reason = "the API key is not valid";
        } else {
            userId = keys.userFor(key).orElse(null);
            reason = userId == null ? "the API key is not valid" : "ok";
        }
        return SimpleIAMPolicyResponse.builder().withIsAuthorized(true)
                .withContext(Map.of("userId", userId == null ? "" : userId, "reason", reason)).build();
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
