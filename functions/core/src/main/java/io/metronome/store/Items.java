package io.metronome.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.domain.Times;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** Converting between item attributes and Java values. JSON documents are stored as JSON text. */
final class Items {
    static final AttributeValue NULL = AttributeValue.fromNul(true);

    private Items() {
    }

    static AttributeValue s(String v) {
        return v == null ? NULL : AttributeValue.fromS(v);
    }

    static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    static AttributeValue n(double v) {
        return AttributeValue.fromN(Double.toString(v));
    }

    static AttributeValue bool(boolean v) {
        return AttributeValue.fromBool(v);
    }

    static AttributeValue time(Instant v) {
        return v == null ? NULL : AttributeValue.fromS(Times.format(v));
    }

    static AttributeValue json(JsonNode v) {
        String text = Json.text(v);
        return text == null ? NULL : AttributeValue.fromS(text);
    }

    static AttributeValue map(Map<String, AttributeValue> m) {
        return AttributeValue.fromM(m);
    }

    static String str(Map<String, AttributeValue> item, String key) {
        AttributeValue v = item.get(key);
        return v == null || v.s() == null ? null : v.s();
    }

    static long num(Map<String, AttributeValue> item, String key) {
        AttributeValue v = item.get(key);
        return v == null || v.n() == null ? 0 : (long) Double.parseDouble(v.n());
    }

    static double dbl(Map<String, AttributeValue> item, String key) {
        AttributeValue v = item.get(key);
        return v == null || v.n() == null ? 0 : Double.parseDouble(v.n());
    }

    static boolean bool(Map<String, AttributeValue> item, String key) {
        AttributeValue v = item.get(key);
        return v != null && Boolean.TRUE.equals(v.bool());
    }

    static Instant time(Map<String, AttributeValue> item, String key) {
        return Times.parse(str(item, key));
    }

    static JsonNode json(Map<String, AttributeValue> item, String key) {
        return Json.read(str(item, key));
    }

    /** Every item a query matches, following LastEvaluatedKey across pages. */
    static java.util.List<Map<String, AttributeValue>> queryAll(
            software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamo,
            software.amazon.awssdk.services.dynamodb.model.QueryRequest query) {
        java.util.List<Map<String, AttributeValue>> items = new java.util.ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            var response = dynamo.query(start == null ? query : query.toBuilder().exclusiveStartKey(start).build());
            items.addAll(response.items());
            start = response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty() ? response.lastEvaluatedKey() : null;
        } while (start != null);
        return items;
    }

    static Map<String, AttributeValue> key(String name, String value) {
        Map<String, AttributeValue> k = new HashMap<>();
        k.put(name, AttributeValue.fromS(value));
        return k;
    }

    static Map<String, AttributeValue> key(String pk, String pkValue, String sk, String skValue) {
        Map<String, AttributeValue> k = key(pk, pkValue);
        k.put(sk, AttributeValue.fromS(skValue));
        return k;
    }
}
