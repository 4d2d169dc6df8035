package io.metronome.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.Json;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** Opaque list cursors: a page's last key as base64url JSON. Keys here are all strings. */
public final class Cursors {
    private Cursors() {
    }

    public static String encode(Map<String, AttributeValue> lastKey) {
        if (lastKey == null) {
            return null;
        }
        ObjectNode o = Json.object();
        lastKey.forEach((k, v) -> o.put(k, v.s()));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param expected attributes the cursor must carry with these values (the list it came from)
     * @throws ApiException 400 for a cursor this API did not hand out for this list
     */
    public static Map<String, AttributeValue> decode(String cursor, Map<String, String> expected) {
        if (cursor == null) {
            return null;
        }
        try {
            JsonNode o = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(cursor));
            if (o == null || !o.isObject() || o.size() > 4) {
                throw new IllegalArgumentException();
            }
            Map<String, AttributeValue> key = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new IllegalArgumentException();
                }
                key.put(e.getKey(), AttributeValue.fromS(e.getValue().asText()));
            }
            expected.forEach((k, v) -> {
                if (!key.containsKey(k) || !v.equals(key.get(k).s())) {
                    throw new IllegalArgumentException();
                }
            });
            return key;
        } catch (Exception e) {
            throw ApiException.validation("cursor", "is not a cursor from this list");
        }
    }
}
