package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * BatchWriteItem, written from the DynamoDB API Reference "BatchWriteItem" (up to 25 put or delete requests,
 * UnprocessedItems, "the entire batch write operation is rejected" when a table does not exist, a request's item
 * does not match the key schema, the same item is put and deleted or written twice in one call, there are more
 * than 25 requests, or an item exceeds 400 KB) and the Developer Guide "Batch operations".
 */
class BatchWriteItemTest extends Conformance {

    static void validation(ThrowingCallable call, String fragment) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(fragment);
        });
    }

    static WriteRequest put(Map<String, AttributeValue> item) {
        return WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build();
    }

    static WriteRequest delete(Map<String, AttributeValue> key) {
        return WriteRequest.builder().deleteRequest(DeleteRequest.builder().key(key).build()).build();
    }

    static List<WriteRequest> puts(int from, int to) {
        List<WriteRequest> l = new ArrayList<>();
        for (int i = from; i < to; i++) {
            l.add(put(item("pk", s("k" + i), "v", n(Integer.toString(i)))));
        }
        return l;
    }

    static List<String> pks(String table) {
        return dynamo.scan(r -> r.tableName(table)).items().stream().map(i -> i.get("pk").s()).sorted().collect(Collectors.toList());
    }

    @Test
    void putsAndDeletesInSeveralTables() {
        String one = table(false);
        String two = table(true);
        dynamo.putItem(r -> r.tableName(one).item(item("pk", s("old"), "v", n("0"))));
        dynamo.putItem(r -> r.tableName(two).item(item("pk", s("a"), "sk", s("1"))));
        dynamo.putItem(r -> r.tableName(two).item(item("pk", s("a"), "sk", s("2"))));
        Map<String, List<WriteRequest>> request = new LinkedHashMap<>();
        request.put(one, List.of(put(item("pk", s("new"), "v", n("1"))), delete(item("pk", s("old"))),
                put(item("pk", s("other"), "m", AttributeValue.fromM(Map.of("x", s("y")))))));
        request.put(two, List.of(delete(item("pk", s("a"), "sk", s("1"))), put(item("pk", s("a"), "sk", s("2"), "replaced", s("yes"))),
                delete(item("pk", s("never"), "sk", s("there")))));
        BatchWriteItemResponse r = dynamo.batchWriteItem(b -> b.requestItems(request));
        assertThat(r.hasUnprocessedItems()).isTrue();
        assertThat(r.unprocessedItems()).isEmpty();
        assertThat(pks(one)).containsExactly("new", "other");
        assertThat(dynamo.getItem(g -> g.tableName(one).key(item("pk", s("other")))).item())
                .isEqualTo(item("pk", s("other"), "m", AttributeValue.fromM(Map.of("x", s("y")))));
        assertThat(dynamo.scan(s -> s.tableName(two)).items()).containsExactly(item("pk", s("a"), "sk", s("2"), "replaced", s("yes")));
    }

    @Test
    void twentyFiveWritesAreAcceptedAndTwentySixRefused() {
        String t = table(false);
        dynamo.batchWriteItem(b -> b.requestItems(Map.of(t, puts(0, 25))));
        assertThat(pks(t)).hasSize(25);

        String u = table(false);
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(u, puts(0, 26)))),
                "Member must have length less than or equal to 25");
        assertThat(pks(u)).isEmpty();

        // 25 is the limit for the whole call, not per table.
        String v = table(false);
        Map<String, List<WriteRequest>> split = new LinkedHashMap<>();
        split.put(u, puts(0, 13));
        split.put(v, puts(0, 13));
        assertThatThrownBy(() -> dynamo.batchWriteItem(b -> b.requestItems(split)))
                .isInstanceOfSatisfying(DynamoDbException.class, e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
        assertThat(pks(u)).isEmpty();
        assertThat(pks(v)).isEmpty();
        Map<String, List<WriteRequest>> fits = new LinkedHashMap<>();
        fits.put(u, puts(0, 12));
        fits.put(v, puts(0, 13));
        dynamo.batchWriteItem(b -> b.requestItems(fits));
        assertThat(pks(u)).hasSize(12);
        assertThat(pks(v)).hasSize(13);
    }

    @Test
    void emptyRequestListIsRefused() {
        String t = table(false);
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t, List.of()))),
                "Member must have length greater than or equal to 1");
    }

    @Test
    void duplicateKeysInOneCallAreRefused() {
        String t = table(false);
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t,
                        List.of(put(item("pk", s("a"), "v", n("1"))), put(item("pk", s("b"))), put(item("pk", s("a"), "v", n("2"))))))),
                "Provided list of item keys contains duplicates");
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t,
                        List.of(put(item("pk", s("a"))), delete(item("pk", s("a"))))))),
                "Provided list of item keys contains duplicates");
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t,
                        List.of(delete(item("pk", s("a"))), delete(item("pk", s("a"))))))),
                "Provided list of item keys contains duplicates");
        assertThat(pks(t)).isEmpty();
        // The same key in two different tables is not a duplicate.
        String u = table(false);
        Map<String, List<WriteRequest>> request = new LinkedHashMap<>();
        request.put(t, List.of(put(item("pk", s("a")))));
        request.put(u, List.of(put(item("pk", s("a")))));
        dynamo.batchWriteItem(b -> b.requestItems(request));
        assertThat(pks(t)).containsExactly("a");
        assertThat(pks(u)).containsExactly("a");
    }

    @Test
    void missingTableRefusesTheWholeBatch() {
        String t = table(false);
        Map<String, List<WriteRequest>> request = new LinkedHashMap<>();
        request.put(t, puts(0, 3));
        request.put("no-such-table-bw", puts(0, 1));
        assertThatThrownBy(() -> dynamo.batchWriteItem(b -> b.requestItems(request)))
                .isInstanceOfSatisfying(ResourceNotFoundException.class,
                        e -> assertThat(e.awsErrorDetails().errorMessage()).contains("Requested resource not found"));
        assertThat(pks(t)).isEmpty();
    }

    @Test
    void oneInvalidRequestRefusesTheWholeBatch() {
        String t = table(true);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("keep"), "sk", s("1"))));
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t, List.of(
                        put(item("pk", s("a"), "sk", s("1"))), delete(item("pk", s("keep"), "sk", s("1"))),
                        put(item("pk", s("b"))))))),
                "One or more parameter values were invalid: Missing the key sk in the item");
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t, List.of(
                        put(item("pk", s("a"), "sk", s("1"))), put(item("pk", s("b"), "sk", n("1"))))))),
                "One or more parameter values were invalid: Type mismatch for key sk expected: S actual: N");
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t, List.of(
                        put(item("pk", s("a"), "sk", s("1"))), delete(item("pk", s("keep"))))))),
                "The provided key element does not match the schema");
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t, List.of(
                        put(item("pk", s("a"), "sk", s("1"))), put(item("pk", s("b"), "sk", s("1"), "big", s("x".repeat(400 * 1024)))))))),
                "Item size has exceeded the maximum allowed size");
        validation(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(t, List.of(
                        put(item("pk", s("a"), "sk", s("1"))), put(item("pk", s(""), "sk", s("1"))))))),
                "The AttributeValue for a key attribute cannot contain an empty string value");
        assertThat(dynamo.scan(r -> r.tableName(t)).items()).containsExactly(item("pk", s("keep"), "sk", s("1")));
    }

    @Test
    void anItemOfExactly400KbIsAccepted() {
        String t = table(false);
        // "pk"(2) + "aa"(2) + "data"(4) + the value: 409,600 bytes in all, names included.
        String value = "x".repeat(409600 - 2 - 2 - 4);
        dynamo.batchWriteItem(b -> b.requestItems(Map.of(t, List.of(put(item("pk", s("aa"), "data", s(value)))))));
        assertThat(dynamo.getItem(g -> g.tableName(t).key(item("pk", s("aa")))).item().get("data").s()).hasSize(value.length());
    }
}
