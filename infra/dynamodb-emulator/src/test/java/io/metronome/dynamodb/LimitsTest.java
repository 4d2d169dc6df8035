package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * DynamoDB's documented limits in one place, each hit exactly at the limit (accepted) and one past it (refused with
 * the error type and message), from the Developer Guide "Service, account, and table quotas" (ServiceQuotas.md:
 * item size 400 KB, partition key 2048 bytes, sort key 1024 bytes, 32 nesting levels, expression 4 KB, IN 100
 * operands, BatchGetItem 100 items, BatchWriteItem 25 requests, transactions 100 actions) and the API references of
 * BatchGetItem, BatchWriteItem, TransactWriteItems and TransactGetItems.
 */
class LimitsTest extends Conformance {

    private static final int MAX_ITEM = 409_600;

    private static void assertValidation(ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(message);
        });
    }

    private static void assertValidation(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e ->
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
    }

    /** An item of exactly {@code bytes}: "pk"(2) + pk + "d"(1) + padding. */
    private static Map<String, AttributeValue> sized(String pk, int bytes) {
        return item("pk", s(pk), "d", s("x".repeat(bytes - 3 - pk.length())));
    }

    private static Map<String, AttributeValue> get(String t, Map<String, AttributeValue> key) {
        return dynamo.getItem(r -> r.tableName(t).key(key).consistentRead(true)).item();
    }

    // ---- BatchGetItem: 100 keys ----

    private static List<Map<String, AttributeValue>> keys(String prefix, int count) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            keys.add(item("pk", s(prefix + i)));
        }
        return keys;
    }

    @Test
    void batchGetItemTakes100KeysNot101() {
        String t = table(false);
        String t2 = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("k0"))));
        var ok = dynamo.batchGetItem(r -> r.requestItems(Map.of(t, KeysAndAttributes.builder().keys(keys("k", 100)).build())));
        assertThat(ok.responses().get(t)).containsExactly(item("pk", s("k0")));
        assertThat(ok.unprocessedKeys()).isEmpty();
        // 60 + 40 across two tables: 100
        dynamo.batchGetItem(r -> r.requestItems(Map.of(
                t, KeysAndAttributes.builder().keys(keys("k", 60)).build(),
                t2, KeysAndAttributes.builder().keys(keys("k", 40)).build())));

        // 60 + 41 across two tables: 101
        assertValidation(() -> dynamo.batchGetItem(r -> r.requestItems(Map.of(
                        t, KeysAndAttributes.builder().keys(keys("k", 60)).build(),
                        t2, KeysAndAttributes.builder().keys(keys("k", 41)).build()))),
                "Too many items requested for the BatchGetItem call");
        // 101 in one table: either the per-table member constraint or the total
        assertThatThrownBy(() -> dynamo.batchGetItem(r -> r.requestItems(Map.of(
                t, KeysAndAttributes.builder().keys(keys("k", 101)).build()))))
                .isInstanceOfSatisfying(DynamoDbException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                    assertThat(e.awsErrorDetails().errorMessage()).satisfiesAnyOf(
                            m -> assertThat(m).contains("Member must have length less than or equal to 100"),
                            m -> assertThat(m).contains("Too many items requested for the BatchGetItem call"));
                });
    }

    // ---- BatchWriteItem: 25 requests ----

    private static List<WriteRequest> puts(String prefix, int count) {
        List<WriteRequest> puts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            puts.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item("pk", s(prefix + i))).build()).build());
        }
        return puts;
    }

    @Test
    void batchWriteItemTakes25RequestsNot26() {
        String t = table(false);
        String t2 = table(false);
        var ok = dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, puts("a", 25))));
        assertThat(ok.unprocessedItems()).isEmpty();
        assertThat(get(t, item("pk", s("a24")))).isNotEmpty();

        assertValidation(() -> dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, puts("b", 26)))),
                "Member must have length less than or equal to 25");
        assertThat(get(t, item("pk", s("b0")))).isEmpty();

        // 13 + 12 across two tables: 25, accepted; 13 + 13: 26, refused
        dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, puts("c", 13), t2, puts("c", 12))));
        assertValidation(() -> dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, puts("d", 13), t2, puts("d", 13)))));
        assertThat(get(t, item("pk", s("d0")))).isEmpty();
    }

    // ---- transactions: 100 actions ----

    @Test
    void transactWriteItemsTakes100ActionsNot101() {
        String t = table(false);
        List<TransactWriteItem> actions = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            Map<String, AttributeValue> it = item("pk", s("k" + i));
            actions.add(TransactWriteItem.builder().put(p -> p.tableName(t).item(it)).build());
        }
        assertValidation(() -> dynamo.transactWriteItems(r -> r.transactItems(actions)),
                "Member must have length less than or equal to 100");
        dynamo.transactWriteItems(r -> r.transactItems(actions.subList(0, 100)));
        assertThat(get(t, item("pk", s("k99")))).isNotEmpty();
    }

    @Test
    void transactGetItemsTakes100ItemsNot101() {
        String t = table(false);
        List<TransactGetItem> gets = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            Map<String, AttributeValue> k = item("pk", s("k" + i));
            gets.add(TransactGetItem.builder().get(g -> g.tableName(t).key(k)).build());
        }
        assertValidation(() -> dynamo.transactGetItems(r -> r.transactItems(gets)),
                "Member must have length less than or equal to 100");
        assertThat(dynamo.transactGetItems(r -> r.transactItems(gets.subList(0, 100))).responses()).hasSize(100);
    }

    // ---- item size: 400 KB = 409,600 bytes, attribute names included ----

    @Test
    void putItemTakes409600BytesNot409601() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(sized("a", MAX_ITEM)));
        assertThat(get(t, item("pk", s("a"))).get("d").s()).hasSize(MAX_ITEM - 4);
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(sized("b", MAX_ITEM + 1))),
                "Item size has exceeded the maximum allowed size");
        assertThat(get(t, item("pk", s("b")))).isEmpty();
        // the attribute name counts: the same value under a 2-byte name is one byte over
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(
                        item("pk", s("c"), "dd", s("x".repeat(MAX_ITEM - 4))))),
                "Item size has exceeded the maximum allowed size");
    }

    @Test
    void batchWriteAndTransactPutsTake409600BytesNot409601() {
        String t = table(false);
        dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, List.of(WriteRequest.builder()
                .putRequest(PutRequest.builder().item(sized("a", MAX_ITEM)).build()).build()))));
        assertThat(get(t, item("pk", s("a")))).isNotEmpty();
        assertValidation(() -> dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, List.of(WriteRequest.builder()
                        .putRequest(PutRequest.builder().item(sized("b", MAX_ITEM + 1)).build()).build())))),
                "Item size has exceeded the maximum allowed size");

        dynamo.transactWriteItems(r -> r.transactItems(TransactWriteItem.builder()
                .put(p -> p.tableName(t).item(sized("c", MAX_ITEM))).build()));
        assertThat(get(t, item("pk", s("c")))).isNotEmpty();
        // a Put's size is known from the request: a top-level ValidationException, not a cancellation
        assertValidation(() -> dynamo.transactWriteItems(r -> r.transactItems(TransactWriteItem.builder()
                        .put(p -> p.tableName(t).item(sized("e", MAX_ITEM + 1))).build())),
                "Item size has exceeded the maximum allowed size");
        assertThat(get(t, item("pk", s("e")))).isEmpty();
    }

    @Test
    void anUpdateGrowingTheItemPast409600BytesIsRefused() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", s("x".repeat(200_000)))));
        // "pk"(2) + "a"(1) + "d"(1) + 200,000 + "e"(1) + 209,596 = 409,601
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression("SET e = :e")
                        .expressionAttributeValues(item(":e", s("y".repeat(209_596))))),
                "Item size to update has exceeded the maximum allowed size");
        assertThat(get(t, item("pk", s("a")))).doesNotContainKey("e");

        // in a transaction, an Update's size depends on the stored item: a cancellation with a ValidationError
        TransactionCanceledException e = catchThrowableOfType(TransactionCanceledException.class,
                () -> dynamo.transactWriteItems(r -> r.transactItems(TransactWriteItem.builder()
                        .update(u -> u.tableName(t).key(item("pk", s("a"))).updateExpression("SET e = :e")
                                .expressionAttributeValues(item(":e", s("y".repeat(209_596))))).build())));
        assertThat(e).isNotNull();
        assertThat(e.cancellationReasons()).extracting(CancellationReason::code).containsExactly("ValidationError");
        assertThat(e.cancellationReasons().get(0).message()).contains("Item size to update has exceeded the maximum allowed size");
        assertThat(get(t, item("pk", s("a")))).doesNotContainKey("e");
    }

    // ---- expression size: 4 KB ----

    @Test
    void expressionsTake4096BytesNot4097() {
        String t = table(false);
        String condition = "attribute_not_exists(pk)";   // 24 bytes, padded with spaces
        String conditionAt = condition + " ".repeat(4096 - condition.length());
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"))).conditionExpression(conditionAt));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"))).conditionExpression(conditionAt + " ")),
                "Expression size has exceeded the maximum allowed size");
        assertThat(get(t, item("pk", s("b")))).isEmpty();

        String update = "SET v = :v";
        String updateAt = update + " ".repeat(4096 - update.length());
        dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression(updateAt)
                .expressionAttributeValues(item(":v", n("1"))));
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression(updateAt + " ")
                        .expressionAttributeValues(item(":v", n("2")))),
                "Expression size has exceeded the maximum allowed size");
        assertThat(get(t, item("pk", s("a")))).containsEntry("v", n("1"));

        String projectionAt = "pk" + " ".repeat(4094);
        assertThat(dynamo.getItem(r -> r.tableName(t).key(item("pk", s("a"))).projectionExpression(projectionAt)).item())
                .isEqualTo(item("pk", s("a")));
        assertValidation(() -> dynamo.getItem(r -> r.tableName(t).key(item("pk", s("a"))).projectionExpression(projectionAt + " ")),
                "Expression size has exceeded the maximum allowed size");

        String filterAt = "v = :v" + " ".repeat(4090);
        assertThat(dynamo.scan(r -> r.tableName(t).filterExpression(filterAt).expressionAttributeValues(item(":v", n("1"))))
                .count()).isEqualTo(1);
        assertValidation(() -> dynamo.scan(r -> r.tableName(t).filterExpression(filterAt + " ")
                        .expressionAttributeValues(item(":v", n("1")))),
                "Expression size has exceeded the maximum allowed size");
    }

    // ---- key sizes: partition key 2048 bytes, sort key 1024 bytes (UTF-8) ----

    @Test
    void aPartitionKeyTakes2048BytesNot2049() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p".repeat(2048)))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("é".repeat(1024)))));   // 2 bytes each: 2048
        assertThat(get(t, item("pk", s("é".repeat(1024))))).isNotEmpty();
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p".repeat(2049))))),
                "Size of hashkey has exceeded the maximum size limit of");
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("é".repeat(1024) + "p")))),
                "Size of hashkey has exceeded the maximum size limit of");
    }

    @Test
    void aSortKeyTakes1024BytesNot1025() {
        String t = table(true);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("s".repeat(1024)))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("€".repeat(341) + "s"))));   // 1023 + 1
        assertThat(get(t, item("pk", s("a"), "sk", s("s".repeat(1024))))).isNotEmpty();
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("s".repeat(1025))))),
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("€".repeat(341) + "ss")))),
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
    }

    // ---- nesting: 32 levels, the attribute itself being level 1 ----

    private static AttributeValue deepMap(int wraps) {
        AttributeValue v = s("leaf");
        for (int i = 0; i < wraps; i++) {
            v = AttributeValue.fromM(Map.of("n", v));
        }
        return v;
    }

    private static AttributeValue deepList(int wraps) {
        AttributeValue v = n("1");
        for (int i = 0; i < wraps; i++) {
            v = AttributeValue.fromL(List.of(v));
        }
        return v;
    }

    @Test
    void documentsNest32LevelsNot33() {
        String t = table(false);
        // 31 wraps: the leaf is at level 32
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("m"), "data", deepMap(31))));
        assertThat(get(t, item("pk", s("m"))).get("data")).isEqualTo(deepMap(31));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("l"), "data", deepList(31))));
        // 32 wraps: level 33
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("m2"), "data", deepMap(32)))),
                "Nesting Levels have exceeded supported limits");
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("l2"), "data", deepList(32)))),
                "Nesting Levels have exceeded supported limits");
        // an update writing a too-deep value
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("m"))).updateExpression("SET deeper = :d")
                        .expressionAttributeValues(item(":d", deepMap(32)))),
                "Nesting Levels have exceeded supported limits");
        assertThat(get(t, item("pk", s("m2")))).isEmpty();
    }

    // ---- IN: 100 operands ----

    @Test
    void inTakes100OperandsNot101() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "v", n("99"))));
        // v IN (:v0, ..., :v99): 100 operands; v = 99 is the last, so the condition holds
        Map<String, AttributeValue> values = new HashMap<>();
        StringJoiner list = new StringJoiner(", ", "v IN (", ")");
        for (int i = 0; i < 100; i++) {
            values.put(":v" + i, n(Integer.toString(i)));
            list.add(":v" + i);
        }
        String in100 = list.toString();
        dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression("SET ok = :v0")
                .conditionExpression(in100).expressionAttributeValues(values));
        assertThat(get(t, item("pk", s("a")))).containsEntry("ok", n("0"));
        // and it is evaluated: 100 operands none of which matches
        Map<String, AttributeValue> noMatch = new HashMap<>(values);
        noMatch.put(":v99", n("1000"));
        assertThatThrownBy(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression("SET ok = :v0")
                .conditionExpression(in100).expressionAttributeValues(noMatch)))
                .isInstanceOf(ConditionalCheckFailedException.class);

        Map<String, AttributeValue> values101 = new HashMap<>(values);
        values101.put(":v100", n("100"));
        String in101 = in100.substring(0, in100.length() - 1) + ", :v100)";
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression("SET ok = :v1")
                .conditionExpression(in101).expressionAttributeValues(values101)));
        assertValidation(() -> dynamo.scan(r -> r.tableName(t).filterExpression(in101).expressionAttributeValues(values101)));
        assertThat(get(t, item("pk", s("a")))).containsEntry("ok", n("0"));
    }
}
