package io.metronome.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** Opaque list cursors: a page's last key as base64url JSON. Keys here are all strings. */
public final class Cursors {
    /** Far above any cursor this API hands out (a page's last key: a few ids). */
    private static final int MAX_CURSOR_LENGTH = 1024;

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
     * Decodes a cursor, refusing anything this API could not have handed out for this list: the attributes must
     * be exactly the list's key (its fixed attributes, with the values this request's list has, so a cursor of
     * another user's or another list's is useless; and its moving id attribute, with that kind of id).
     *
     * @param fixed the key attributes that name the list, with their values here (e.g. userId)
     * @param idAttribute the key attribute that moves through the list (e.g. runId), and {@code idPrefix} its ids' prefix
     * @throws ApiException 400 naming {@code cursor} for any other cursor
     */
    public static Map<String, AttributeValue> decode(String cursor, Map<String, String> fixed, String idAttribute,
                                                     String idPrefix) {
        if (cursor == null) {
            return null;
        }
        try {
            if (cursor.length() > MAX_CURSOR_LENGTH) {
                throw new IllegalArgumentException();
            }
            JsonNode o = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(cursor));
            if (o == null || !o.isObject() || o.size() != fixed.size() + 1) {
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
            fixed.forEach((k, v) -> {
                if (!key.containsKey(k) || !v.equals(key.get(k).s())) {
                    throw new IllegalArgumentException();
                }
            });
            AttributeValue id = key.get(idAttribute);
            if (id == null || !Ids.isValid(idPrefix, id.s())) {
                throw new IllegalArgumentException();
            }
            return key;
        } catch (Exception e) {
            throw ApiException.validation("cursor", "is not a cursor from this list");
        }
    }
}
