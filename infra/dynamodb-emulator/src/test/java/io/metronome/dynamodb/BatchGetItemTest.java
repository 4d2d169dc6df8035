package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * BatchGetItem, written from the DynamoDB API Reference "BatchGetItem" (Responses, UnprocessedKeys, "A single
 * operation can retrieve up to 16 MB of data, which can contain as many as 100 items", "There are more than 100
 * items requested", duplicate keys, ProjectionExpression, ConsistentRead, ResourceNotFoundException) and the
 * Developer Guide "Batch operations" (WorkingWithItems.html#WorkingWithItems.BatchOperations).
 */
class BatchGetItemTest extends Conformance {

    static void validation(ThrowingCallable call, String fragment) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(fragment);
        });
    }

    static KeysAndAttributes keys(List<Map<String, AttributeValue>> keys) {
        return KeysAndAttributes.builder().keys(keys).build();
    }

    static List<Map<String, AttributeValue>> pkKeys(int from, int to) {
        List<Map<String, AttributeValue>> l = new ArrayList<>();
        for (int i = from; i < to; i++) {
            l.add(item("pk", s("k" + i)));
        }
        return l;
    }

    static String filled(int count) {
        String t = table(false);
        for (int i = 0; i < count; i++) {
            int x = i;
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("k" + x), "v", n(Integer.toString(x)), "extra", s("e" + x))));
        }
        return t;
    }

    @Test
    void readsFromSeveralTablesAndLeavesOutMissingKeys() {
        String one = filled(3);
        String two = table(true);
        dynamo.putItem(r -> r.tableName(two).item(item("pk", s("a"), "sk", s("1"), "x", s("X"))));
        Map<String, KeysAndAttributes> request = new LinkedHashMap<>();
        request.put(one, keys(List.of(item("pk", s("k0")), item("pk", s("k2")), item("pk", s("missing")))));
        request.put(two, keys(List.of(item("pk", s("a"), "sk", s("1")), item("pk", s("a"), "sk", s("2")))));
        BatchGetItemResponse r = dynamo.batchGetItem(b -> b.requestItems(request));
        assertThat(r.responses()).containsOnlyKeys(one, two);
        assertThat(r.responses().get(one)).containsExactlyInAnyOrder(
                item("pk", s("k0"), "v", n("0"), "extra", s("e0")), item("pk", s("k2"), "v", n("2"), "extra", s("e2")));
        assertThat(r.responses().get(two)).containsExactly(item("pk", s("a"), "sk", s("1"), "x", s("X")));
        assertThat(r.hasUnprocessedKeys()).isTrue();
        assertThat(r.unprocessedKeys()).isEmpty();
    }

    @Test
    void aTableWithNothingFoundStillHasAnEmptyResponseList() {
        String t = filled(1);
        BatchGetItemResponse r = dynamo.batchGetItem(b -> b.requestItems(Map.of(t, keys(List.of(item("pk", s("nope")))))));
        assertThat(r.responses()).containsOnlyKeys(t);
        assertThat(r.responses().get(t)).isEmpty();
        assertThat(r.unprocessedKeys()).isEmpty();
    }

    @Test
    void oneHundredKeysAreAcceptedAndOneHundredAndOneRefused() {
        String t = filled(100);
        BatchGetItemResponse r = dynamo.batchGetItem(b -> b.requestItems(Map.of(t, keys(pkKeys(0, 100)))));
        assertThat(r.responses().get(t)).hasSize(100);
        assertThat(r.responses().get(t).stream().map(i -> i.get("pk").s()).collect(Collectors.toSet())).hasSize(100);
        assertThat(r.unprocessedKeys()).isEmpty();

        // Over 100 across tables.
        String other = filled(41);
        Map<String, KeysAndAttributes> split = new LinkedHashMap<>();
        split.put(t, keys(pkKeys(0, 60)));
        split.put(other, keys(pkKeys(0, 41)));
        validation(() -> dynamo.batchGetItem(b -> b.requestItems(split)), "Too many items requested for the BatchGetItem call");
        Map<String, KeysAndAttributes> hundred = new LinkedHashMap<>();
        hundred.put(t, keys(pkKeys(0, 60)));
        hundred.put(other, keys(pkKeys(0, 40)));
        BatchGetItemResponse both = dynamo.batchGetItem(b -> b.requestItems(hundred));
        assertThat(both.responses().get(t)).hasSize(60);
        assertThat(both.responses().get(other)).hasSize(40);
    }

    @Test
    void oneHundredAndOneKeysForOneTableBreakTheKeysConstraint() {
        String t = filled(1);
        validation(() -> dynamo.batchGetItem(b -> b.requestItems(Map.of(t, keys(pkKeys(0, 101))))),
                "Member must have length less than or equal to 100");
    }

    @Test
    void duplicateKeysAreRefused() {
        String t = filled(2);
        validation(() -> dynamo.batchGetItem(b -> b.requestItems(Map.of(t, keys(List.of(item("pk", s("k0")), item("pk", s("k1")), item("pk", s("k0"))))))),
                "Provided list of item keys contains duplicates");
    }

    @Test
    void missingTableIsResourceNotFound() {
        String t = filled(1);
        Map<String, KeysAndAttributes> request = new LinkedHashMap<>();
        request.put(t, keys(List.of(item("pk", s("k0")))));
        request.put("no-such-table-bg", keys(List.of(item("pk", s("k0")))));
        assertThatThrownBy(() -> dynamo.batchGetItem(b -> b.requestItems(request)))
                .isInstanceOfSatisfying(ResourceNotFoundException.class,
                        e -> assertThat(e.awsErrorDetails().errorMessage()).contains("Requested resource not found"));
    }

    @Test
    void keysMustMatchTheSchema() {
        String t = filled(1);
        validation(() -> dynamo.batchGetItem(b -> b.requestItems(Map.of(t, keys(List.of(item("pk", n("1"))))))),
                "The provided key element does not match the schema");
        validation(() -> dynamo.batchGetItem(b -> b.requestItems(Map.of(t, keys(List.of(item("pk", s("k0"), "v", n("0"))))))),
                "The provided key element does not match the schema");
        validation(() -> dynamo.batchGetItem(b -> b.requestItems(Map.of(t, keys(List.of(item("other", s("k0"))))))),
                "The provided key element does not match the schema");
        validation(() -> dynamo.batchGetItem(b -> b.requestItems(Map.of(t, keys(List.of())))),
                "Member must have length greater than or equal to 1");
    }

    @Test
    void projectionExpressionAndConsistentRead() {
        String t = filled(3);
        KeysAndAttributes ka = KeysAndAttributes.builder().keys(pkKeys(0, 3)).projectionExpression("#v, pk")
                .expressionAttributeNames(Map.of("#v", "v")).consistentRead(true).build();
        BatchGetItemResponse r = dynamo.batchGetItem(b -> b.requestItems(Map.of(t, ka)));
        assertThat(r.responses().get(t)).containsExactlyInAnyOrder(item("pk", s("k0"), "v", n("0")),
                item("pk", s("k1"), "v", n("1")), item("pk", s("k2"), "v", n("2")));
        KeysAndAttributes only = KeysAndAttributes.builder().keys(pkKeys(1, 2)).projectionExpression("extra").build();
        assertThat(dynamo.batchGetItem(b -> b.requestItems(Map.of(t, only))).responses().get(t))
                .containsExactly(item("extra", s("e1")));
        KeysAndAttributes unused = KeysAndAttributes.builder().keys(pkKeys(1, 2)).projectionExpression("extra")
                .expressionAttributeNames(Map.of("#u", "u")).build();
        validation(() -> dynamo.batchGetItem(b -> b.requestItems(Map.of(t, unused))),
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}");
    }
}
