package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.Select;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Query, written from the DynamoDB API Reference "Query" (KeyConditionExpression, Limit, ExclusiveStartKey,
 * LastEvaluatedKey, ScanIndexForward, Select, FilterExpression, Count/ScannedCount) and the Developer Guide
 * "Querying tables in DynamoDB" (Query.html: key condition expressions, "Filter expressions for Query",
 * "Limiting the number of items in the result set", "Paginating table query results", "Counting the items in the
 * results") and "Supported data types and naming rules" (ordering of S by UTF-8 bytes, B as unsigned bytes).
 */
class QueryTest extends Conformance {

    // ---- helpers ----

    static AttributeDefinition def(String name, ScalarAttributeType type) {
        return AttributeDefinition.builder().attributeName(name).attributeType(type).build();
    }

    static void validation(ThrowingCallable call, String fragment) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(fragment);
        });
    }

    static QueryResponse query(String table, String keyCondition, Map<String, AttributeValue> values,
                               Consumer<QueryRequest.Builder> adjust) {
        QueryRequest.Builder b = QueryRequest.builder().tableName(table).keyConditionExpression(keyCondition)
                .expressionAttributeValues(values);
        adjust.accept(b);
        return dynamo.query(b.build());
    }

    static QueryResponse query(String table, String keyCondition, Map<String, AttributeValue> values) {
        return query(table, keyCondition, values, b -> { });
    }

    static List<String> sks(QueryResponse r) {
        return r.items().stream().map(i -> i.get("sk").s()).collect(Collectors.toList());
    }

    /** pk "p" with sort keys a1 a2 b1 b2 c1, and a neighbouring partition "q" that must never show up. */
    static String fiveItems() {
        String t = table(true);
        for (String sk : List.of("c1", "a2", "b1", "a1", "b2")) {
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s(sk), "color", s(sk.startsWith("b") ? "blue" : "red"))));
        }
        for (String sk : List.of("a0", "b0", "z9")) {
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("q"), "sk", s(sk))));
        }
        return t;
    }

    // ---- key conditions ----

    @Test
    void everySortKeyOperator() {
        String t = fiveItems();
        assertThat(sks(query(t, "pk = :p AND sk = :v", item(":p", s("p"), ":v", s("b1"))))).containsExactly("b1");
        assertThat(sks(query(t, "pk = :p AND sk < :v", item(":p", s("p"), ":v", s("b1"))))).containsExactly("a1", "a2");
        assertThat(sks(query(t, "pk = :p AND sk <= :v", item(":p", s("p"), ":v", s("b1"))))).containsExactly("a1", "a2", "b1");
        assertThat(sks(query(t, "pk = :p AND sk > :v", item(":p", s("p"), ":v", s("b1"))))).containsExactly("b2", "c1");
        assertThat(sks(query(t, "pk = :p AND sk >= :v", item(":p", s("p"), ":v", s("b1"))))).containsExactly("b1", "b2", "c1");
        assertThat(sks(query(t, "pk = :p AND sk BETWEEN :lo AND :hi", item(":p", s("p"), ":lo", s("a2"), ":hi", s("b2")))))
                .containsExactly("a2", "b1", "b2");
        assertThat(sks(query(t, "pk = :p AND begins_with(sk, :v)", item(":p", s("p"), ":v", s("b"))))).containsExactly("b1", "b2");
        assertThat(sks(query(t, "pk = :p AND sk = :v", item(":p", s("p"), ":v", s("b3"))))).isEmpty();
    }

    @Test
    void partitionKeyOnlyReturnsTheWholePartitionInSortKeyOrder() {
        String t = fiveItems();
        QueryResponse r = query(t, "pk = :p", item(":p", s("p")));
        assertThat(sks(r)).containsExactly("a1", "a2", "b1", "b2", "c1");
        assertThat(r.count()).isEqualTo(5);
        assertThat(r.scannedCount()).isEqualTo(5);
        assertThat(r.hasLastEvaluatedKey()).isFalse();
        assertThat(query(t, "pk = :p", item(":p", s("nobody"))).items()).isEmpty();
    }

    @Test
    void partitionKeyOnlyTable() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "x", n("1"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"), "x", n("2"))));
        QueryResponse r = query(t, "pk = :p", item(":p", s("b")));
        assertThat(r.items()).containsExactly(item("pk", s("b"), "x", n("2")));
    }

    @Test
    void aSecondConditionOnAPartitionKeyOnlyTableIsNotSupported() {
        String t = table(false);
        validation(() -> query(t, "pk = :p AND x = :x", item(":p", s("b"), ":x", n("2"))), "Query key condition not supported");
    }

    @Test
    void conditionsInEitherOrderWithParenthesesAndNames() {
        String t = fiveItems();
        assertThat(sks(query(t, "sk > :v AND pk = :p", item(":p", s("p"), ":v", s("b1"))))).containsExactly("b2", "c1");
        assertThat(sks(query(t, "(pk = :p) AND (sk > :v)", item(":p", s("p"), ":v", s("b1"))))).containsExactly("b2", "c1");
        assertThat(sks(query(t, "((pk = :p) AND (sk BETWEEN :lo AND :hi))", item(":p", s("p"), ":lo", s("a1"), ":hi", s("a2")))))
                .containsExactly("a1", "a2");
        assertThat(sks(query(t, "#k = :p and begins_with(#s, :v)", item(":p", s("p"), ":v", s("c")),
                b -> b.expressionAttributeNames(Map.of("#k", "pk", "#s", "sk"))))).containsExactly("c1");
    }

    @Test
    void refusedKeyConditionForms() {
        String t = fiveItems();
        validation(() -> query(t, "pk = :p OR sk = :v", item(":p", s("p"), ":v", s("a1"))),
                "Invalid operator used in KeyConditionExpression: OR");
        validation(() -> query(t, "pk = :p AND NOT sk = :v", item(":p", s("p"), ":v", s("a1"))),
                "Invalid operator used in KeyConditionExpression: NOT");
        validation(() -> query(t, "pk = :p AND sk IN (:v, :w)", item(":p", s("p"), ":v", s("a1"), ":w", s("a2"))),
                "Invalid operator used in KeyConditionExpression: IN");
        validation(() -> query(t, "pk = :p AND sk <> :v", item(":p", s("p"), ":v", s("a1"))),
                "Invalid operator used in KeyConditionExpression: <>");
        validation(() -> query(t, "pk = :p AND contains(sk, :v)", item(":p", s("p"), ":v", s("a"))),
                "Invalid operator used in KeyConditionExpression: contains");
        validation(() -> query(t, "sk = :v", item(":v", s("a1"))), "Query condition missed key schema element: pk");
        validation(() -> query(t, "pk = :p AND color = :v", item(":p", s("p"), ":v", s("red"))),
                "Query condition missed key schema element: sk");
        validation(() -> query(t, "pk = :p AND sk.x = :v", item(":p", s("p"), ":v", s("a1"))),
                "KeyConditionExpressions cannot have conditions on nested attributes");
        validation(() -> query(t, "pk = :p AND sk > :v AND sk < :w", item(":p", s("p"), ":v", s("a1"), ":w", s("c1"))),
                "KeyConditionExpressions must only contain one condition per key");
        validation(() -> query(t, "pk = :p AND pk = :p", item(":p", s("p"))),
                "KeyConditionExpressions must only contain one condition per key");
        validation(() -> query(t, "pk > :p", item(":p", s("p"))), "Query key condition not supported");
        validation(() -> query(t, "pk = :p", item(":p", n("1"))),
                "One or more parameter values were invalid: Condition parameter type does not match schema type");
        validation(() -> query(t, "pk = :p AND sk > :v", item(":p", s("p"), ":v", n("1"))),
                "One or more parameter values were invalid: Condition parameter type does not match schema type");
        validation(() -> dynamo.query(r -> r.tableName(t)),
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
        validation(() -> query(t, "pk = :p AND sk BETWEEN :hi AND :lo", item(":p", s("p"), ":lo", s("a"), ":hi", s("b"))),
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound");
        validation(() -> query(t, "pk = :p AND sk = :missing", item(":p", s("p"))),
                "An expression attribute value used in expression is not defined");
    }

    @Test
    void beginsWithOnThePartitionKeyIsNotSupported() {
        String t = fiveItems();
        validation(() -> query(t, "begins_with(pk, :p)", item(":p", s("p"))), "Query key condition not supported");
    }

    @Test
    void missingTableIsResourceNotFound() {
        assertThatThrownBy(() -> query("no-such-table-q", "pk = :p", item(":p", s("p"))))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    // ---- ordering ----

    @Test
    void numberSortKeysOrderNumerically() {
        String t = table(true, b -> b.attributeDefinitions(def("pk", ScalarAttributeType.S), def("sk", ScalarAttributeType.N)));
        for (String v : List.of("10", "9", "-1", "2.5", "100", "-20", "0")) {
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", n(v))));
        }
        QueryResponse r = query(t, "pk = :p", item(":p", s("p")));
        assertThat(r.items()).extracting(i -> i.get("sk").n()).containsExactly("-20", "-1", "0", "2.5", "9", "10", "100");
        assertThat(query(t, "pk = :p AND sk BETWEEN :lo AND :hi", item(":p", s("p"), ":lo", n("2"), ":hi", n("10"))).items())
                .extracting(i -> i.get("sk").n()).containsExactly("2.5", "9", "10");
        assertThat(query(t, "pk = :p AND sk < :v", item(":p", s("p"), ":v", n("0"))).items())
                .extracting(i -> i.get("sk").n()).containsExactly("-20", "-1");
    }

    @Test
    void binarySortKeysOrderAsUnsignedBytes() {
        String t = table(true, b -> b.attributeDefinitions(def("pk", ScalarAttributeType.S), def("sk", ScalarAttributeType.B)));
        List<byte[]> values = List.of(new byte[]{(byte) 0xff}, new byte[]{0x01}, new byte[]{(byte) 0x80},
                new byte[]{0x7f}, new byte[]{0x00, 0x01}, new byte[]{0x01, 0x00});
        for (byte[] v : values) {
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", b(v))));
        }
        List<String> order = query(t, "pk = :p", item(":p", s("p"))).items().stream()
                .map(i -> hex(i.get("sk").b().asByteArray())).collect(Collectors.toList());
        assertThat(order).containsExactly("0001", "01", "0100", "7f", "80", "ff");
        List<String> above = query(t, "pk = :p AND sk > :v", item(":p", s("p"), ":v", b((byte) 0x7f))).items().stream()
                .map(i -> hex(i.get("sk").b().asByteArray())).collect(Collectors.toList());
        assertThat(above).containsExactly("80", "ff");
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte x : bytes) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    @Test
    void stringSortKeysOrderByUtf8Bytes() {
        String t = table(true);
        // UTF-8 order: "A"(41) < "Z"(5A) < "a"(61) < "z"(7A) < "¿"(C2 BF) < "\uFFFD"(EF BF BD) < "𝄞"(F0 9D 84 9E).
        // UTF-16 order would put "𝄞" (D834 DD1E) before "\uFFFD".
        for (String v : List.of("\uD834\uDD1E", "z", "\uFFFD", "a", "¿", "Z", "A")) {
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s(v))));
        }
        assertThat(sks(query(t, "pk = :p", item(":p", s("p")))))
                .containsExactly("A", "Z", "a", "z", "¿", "\uFFFD", "\uD834\uDD1E");
        assertThat(sks(query(t, "pk = :p AND sk > :v", item(":p", s("p"), ":v", s("\uFFFD")))))
                .containsExactly("\uD834\uDD1E");
    }

    @Test
    void scanIndexForwardFalseReverses() {
        String t = fiveItems();
        assertThat(sks(query(t, "pk = :p", item(":p", s("p")), b -> b.scanIndexForward(false))))
                .containsExactly("c1", "b2", "b1", "a2", "a1");
        assertThat(sks(query(t, "pk = :p AND sk < :v", item(":p", s("p"), ":v", s("b2")), b -> b.scanIndexForward(false))))
                .containsExactly("b1", "a2", "a1");
        assertThat(sks(query(t, "pk = :p", item(":p", s("p")), b -> b.scanIndexForward(true))))
                .containsExactly("a1", "a2", "b1", "b2", "c1");
    }

    // ---- Limit and paging ----

    @Test
    void limitStopsAndReturnsTheLastEvaluatedKey() {
        String t = fiveItems();
        QueryResponse r = query(t, "pk = :p", item(":p", s("p")), b -> b.limit(2));
        assertThat(sks(r)).containsExactly("a1", "a2");
        assertThat(r.count()).isEqualTo(2);
        assertThat(r.lastEvaluatedKey()).isEqualTo(item("pk", s("p"), "sk", s("a2")));

        QueryResponse back = query(t, "pk = :p", item(":p", s("p")), b -> b.limit(2).scanIndexForward(false));
        assertThat(sks(back)).containsExactly("c1", "b2");
        assertThat(back.lastEvaluatedKey()).isEqualTo(item("pk", s("p"), "sk", s("b2")));
    }

    @Test
    void limitReachedExactlyStillReturnsALastEvaluatedKeyAndTheNextPageIsEmpty() {
        String t = fiveItems();
        QueryResponse r = query(t, "pk = :p", item(":p", s("p")), b -> b.limit(5));
        assertThat(r.count()).isEqualTo(5);
        assertThat(r.lastEvaluatedKey()).isEqualTo(item("pk", s("p"), "sk", s("c1")));
        QueryResponse next = query(t, "pk = :p", item(":p", s("p")), b -> b.limit(5).exclusiveStartKey(r.lastEvaluatedKey()));
        assertThat(next.items()).isEmpty();
        assertThat(next.count()).isZero();
        assertThat(next.hasLastEvaluatedKey()).isFalse();

        QueryResponse more = query(t, "pk = :p", item(":p", s("p")), b -> b.limit(6));
        assertThat(more.count()).isEqualTo(5);
        assertThat(more.hasLastEvaluatedKey()).isFalse();
    }

    @Test
    void limitCountsItemsEvaluatedBeforeTheFilter() {
        String t = fiveItems();
        // a1 red, a2 red, b1 blue, b2 blue, c1 red. Limit 3 reads a1 a2 b1; only b1 is blue.
        QueryResponse r = query(t, "pk = :p", item(":p", s("p"), ":c", s("blue")), b -> b.limit(3).filterExpression("color = :c"));
        assertThat(sks(r)).containsExactly("b1");
        assertThat(r.count()).isEqualTo(1);
        assertThat(r.scannedCount()).isEqualTo(3);
        assertThat(r.lastEvaluatedKey()).isEqualTo(item("pk", s("p"), "sk", s("b1")));
        // Limit 2 reads a1 a2, which the filter drops: an empty page that still carries a LastEvaluatedKey.
        QueryResponse empty = query(t, "pk = :p", item(":p", s("p"), ":c", s("blue")), b -> b.limit(2).filterExpression("color = :c"));
        assertThat(empty.items()).isEmpty();
        assertThat(empty.count()).isZero();
        assertThat(empty.scannedCount()).isEqualTo(2);
        assertThat(empty.lastEvaluatedKey()).isEqualTo(item("pk", s("p"), "sk", s("a2")));
    }

    @Test
    void limitMustBeAtLeastOne() {
        String t = fiveItems();
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.limit(0)),
                "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1");
        assertThat(query(t, "pk = :p", item(":p", s("p")), b -> b.limit(1)).count()).isEqualTo(1);
    }

    @Test
    void pagingVisitsEveryItemExactlyOnceInBothDirections() {
        String t = table(true);
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            String sk = String.format("k%02d", i);
            all.add(sk);
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s(sk))));
        }
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("other"), "sk", s("k05"))));
        for (boolean forward : new boolean[]{true, false}) {
            List<String> seen = new ArrayList<>();
            Map<String, AttributeValue> start = null;
            int pages = 0;
            do {
                Map<String, AttributeValue> esk = start;
                QueryResponse r = query(t, "pk = :p", item(":p", s("p")),
                        b -> b.limit(4).scanIndexForward(forward).exclusiveStartKey(esk));
                seen.addAll(sks(r));
                start = r.hasLastEvaluatedKey() ? r.lastEvaluatedKey() : null;
                if (start != null) {
                    assertThat(start).isEqualTo(item("pk", s("p"), "sk", r.items().get(r.items().size() - 1).get("sk")));
                }
                pages++;
            } while (start != null && pages < 50);
            List<String> expected = new ArrayList<>(all);
            if (!forward) {
                Collections.reverse(expected);
            }
            assertThat(seen).containsExactlyElementsOf(expected);
            assertThat(pages).isEqualTo(6); // 4+4+4+4+4+3, the last page short and without a LastEvaluatedKey
        }
    }

    @Test
    void pagingWithASortKeyConditionStaysInsideIt() {
        String t = fiveItems();
        QueryResponse first = query(t, "pk = :p AND sk > :v", item(":p", s("p"), ":v", s("a1")), b -> b.limit(2));
        assertThat(sks(first)).containsExactly("a2", "b1");
        QueryResponse second = query(t, "pk = :p AND sk > :v", item(":p", s("p"), ":v", s("a1")),
                b -> b.limit(2).exclusiveStartKey(first.lastEvaluatedKey()));
        assertThat(sks(second)).containsExactly("b2", "c1");
    }

    @Test
    void pagesStopAfterCrossingOneMegabyte() {
        String t = table(true);
        String big = "x".repeat(300 * 1024);
        for (int i = 0; i < 5; i++) {
            String sk = "s" + i;
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s(sk), "data", s(big))));
        }
        // 3 items are ~900 KB, the 4th crosses 1 MB: the page ends there.
        QueryResponse first = query(t, "pk = :p", item(":p", s("p")));
        assertThat(sks(first)).containsExactly("s0", "s1", "s2", "s3");
        assertThat(first.lastEvaluatedKey()).isEqualTo(item("pk", s("p"), "sk", s("s3")));
        QueryResponse second = query(t, "pk = :p", item(":p", s("p")), b -> b.exclusiveStartKey(first.lastEvaluatedKey()));
        assertThat(sks(second)).containsExactly("s4");
        assertThat(second.hasLastEvaluatedKey()).isFalse();

        // The limit applies to the data read, before the filter and the projection.
        QueryResponse filtered = query(t, "pk = :p", item(":p", s("p"), ":none", s("none")),
                b -> b.filterExpression("attribute_exists(#n) AND #n = :none").expressionAttributeNames(Map.of("#n", "nothing")));
        assertThat(filtered.count()).isZero();
        assertThat(filtered.scannedCount()).isEqualTo(4);
        assertThat(filtered.lastEvaluatedKey()).isEqualTo(item("pk", s("p"), "sk", s("s3")));
        QueryResponse projected = query(t, "pk = :p", item(":p", s("p")), b -> b.projectionExpression("sk"));
        assertThat(projected.count()).isEqualTo(4);
        assertThat(projected.items().get(0)).isEqualTo(item("sk", s("s0")));
        QueryResponse counted = query(t, "pk = :p", item(":p", s("p")), b -> b.select(Select.COUNT));
        assertThat(counted.count()).isEqualTo(4);
        assertThat(counted.hasLastEvaluatedKey()).isTrue();
    }

    // ---- filter ----

    @Test
    void filterExpressionReducesCountButNotScannedCount() {
        String t = fiveItems();
        QueryResponse r = query(t, "pk = :p", item(":p", s("p"), ":c", s("red")), b -> b.filterExpression("color = :c"));
        assertThat(sks(r)).containsExactly("a1", "a2", "c1");
        assertThat(r.count()).isEqualTo(3);
        assertThat(r.scannedCount()).isEqualTo(5);
        QueryResponse none = query(t, "pk = :p AND sk < :v", item(":p", s("p"), ":v", s("b"), ":c", s("blue")),
                b -> b.filterExpression("color = :c"));
        assertThat(none.items()).isEmpty();
        assertThat(none.count()).isZero();
        assertThat(none.scannedCount()).isEqualTo(2);
        QueryResponse withCount = query(t, "pk = :p", item(":p", s("p"), ":c", s("red")),
                b -> b.filterExpression("color = :c").select(Select.COUNT));
        assertThat(withCount.count()).isEqualTo(3);
        assertThat(withCount.scannedCount()).isEqualTo(5);
    }

    @Test
    void filterOnAKeyAttributeIsRefused() {
        String t = fiveItems();
        validation(() -> query(t, "pk = :p", item(":p", s("p"), ":v", s("a1")), b -> b.filterExpression("sk = :v")),
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk");
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.filterExpression("pk = :p")),
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk");
    }

    // ---- Select ----

    @Test
    void selectAllAttributesCountAndSpecificAttributes() {
        String t = fiveItems();
        QueryResponse all = query(t, "pk = :p AND sk = :v", item(":p", s("p"), ":v", s("a1")), b -> b.select(Select.ALL_ATTRIBUTES));
        assertThat(all.items()).containsExactly(item("pk", s("p"), "sk", s("a1"), "color", s("red")));

        QueryResponse count = query(t, "pk = :p", item(":p", s("p")), b -> b.select(Select.COUNT));
        assertThat(count.items()).isEmpty();
        assertThat(count.count()).isEqualTo(5);
        assertThat(count.scannedCount()).isEqualTo(5);

        QueryResponse specific = query(t, "pk = :p AND sk < :v", item(":p", s("p"), ":v", s("b")),
                b -> b.select(Select.SPECIFIC_ATTRIBUTES).projectionExpression("color, sk"));
        assertThat(specific.items()).containsExactly(item("sk", s("a1"), "color", s("red")), item("sk", s("a2"), "color", s("red")));

        QueryResponse implied = query(t, "pk = :p AND sk = :v", item(":p", s("p"), ":v", s("b1")),
                b -> b.projectionExpression("#c, nosuchattr").expressionAttributeNames(Map.of("#c", "color")));
        assertThat(implied.items()).containsExactly(item("color", s("blue")));
    }

    @Test
    void documentedSelectErrors() {
        String t = fiveItems();
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.select(Select.SPECIFIC_ATTRIBUTES)),
                "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES");
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.select(Select.ALL_ATTRIBUTES).projectionExpression("color")),
                "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES");
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.select(Select.COUNT).projectionExpression("color")),
                "Cannot specify the ProjectionExpression when choosing to get only the Count");
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.select(Select.ALL_PROJECTED_ATTRIBUTES)),
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.select("hi")),
                "Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set");
    }

    // ---- ExclusiveStartKey ----

    @Test
    void exclusiveStartKeyOutsideTheSortKeyConditionIsRefused() {
        String t = fiveItems();
        validation(() -> query(t, "pk = :p AND sk > :v", item(":p", s("p"), ":v", s("b")),
                        b -> b.exclusiveStartKey(item("pk", s("p"), "sk", s("a1")))),
                "The provided starting key does not match the range key predicate");
    }

    @Test
    void exclusiveStartKeyMustBelongToTheQuery() {
        String t = fiveItems();
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.exclusiveStartKey(item("pk", s("q"), "sk", s("a0")))),
                "The provided starting key is outside query boundaries based on provided conditions");
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.exclusiveStartKey(item("pk", s("p")))),
                "The provided starting key is invalid");
        validation(() -> query(t, "pk = :p", item(":p", s("p")), b -> b.exclusiveStartKey(item("pk", s("p"), "sk", n("1")))),
                "The provided starting key is invalid");
        // A start key that is not an existing item is fine: the query resumes after it.
        assertThat(sks(query(t, "pk = :p", item(":p", s("p")), b -> b.exclusiveStartKey(item("pk", s("p"), "sk", s("b"))))))
                .containsExactly("b1", "b2", "c1");
        assertThat(sks(query(t, "pk = :p", item(":p", s("p")),
                b -> b.scanIndexForward(false).exclusiveStartKey(item("pk", s("p"), "sk", s("b"))))))
                .containsExactly("a2", "a1");
    }

    /** ScanIndexForward given as JSON null is absent, so ascending (the documented default). */
    @Test
    void aNullScanIndexForwardMeansAscending() throws Exception {
        String t = table(true);
        for (String sk : new String[]{"1", "2", "3"}) {
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s(sk))));
        }
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(EMULATOR.endpoint())
                        .header("X-Amz-Target", "DynamoDB_20120810.Query").header("Content-Type", "application/x-amz-json-1.0")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"TableName\":\"" + t + "\",\"KeyConditionExpression\":"
                                + "\"pk = :p\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}},\"ScanIndexForward\":null}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(response.body().indexOf("\"1\"")).isLessThan(response.body().indexOf("\"3\""));
    }
}
