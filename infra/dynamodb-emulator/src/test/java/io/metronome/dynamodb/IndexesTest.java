package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.LocalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.Select;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Secondary indexes, written from the Developer Guide "Using Global Secondary Indexes in DynamoDB" (GSI.html:
 * "Attribute projections", "Reading data from a global secondary index", "Data synchronization between tables and
 * global secondary indexes", sparse indexes in bp-indexes-general-sparse-indexes.html), "Local secondary indexes"
 * (LSI.html: "Attribute projections", "Querying a local secondary index" - non-projected attributes are fetched from
 * the table), and the API Reference "Query" (IndexName, ConsistentRead, Select, LastEvaluatedKey) and "PutItem".
 */
class IndexesTest extends Conformance {

    static AttributeDefinition def(String name) {
        return AttributeDefinition.builder().attributeName(name).attributeType(ScalarAttributeType.S).build();
    }

    static KeySchemaElement hash(String name) {
        return KeySchemaElement.builder().attributeName(name).keyType(KeyType.HASH).build();
    }

    static KeySchemaElement range(String name) {
        return KeySchemaElement.builder().attributeName(name).keyType(KeyType.RANGE).build();
    }

    static Projection projection(ProjectionType type, String... include) {
        Projection.Builder b = Projection.builder().projectionType(type);
        if (include.length > 0) {
            b.nonKeyAttributes(include);
        }
        return b.build();
    }

    static GlobalSecondaryIndex gsi(String name, Projection p, KeySchemaElement... key) {
        return GlobalSecondaryIndex.builder().indexName(name).keySchema(key).projection(p).build();
    }

    static LocalSecondaryIndex lsi(String name, String sortKey, Projection p) {
        return LocalSecondaryIndex.builder().indexName(name).keySchema(hash("pk"), range(sortKey)).projection(p).build();
    }

    static void validation(ThrowingCallable call, String fragment) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(fragment);
        });
    }

    static QueryResponse query(String table, String index, String keyCondition, Map<String, AttributeValue> values,
                               Consumer<QueryRequest.Builder> adjust) {
        QueryRequest.Builder b = QueryRequest.builder().tableName(table).indexName(index)
                .keyConditionExpression(keyCondition).expressionAttributeValues(values);
        adjust.accept(b);
        return dynamo.query(b.build());
    }

    static QueryResponse query(String table, String index, String keyCondition, Map<String, AttributeValue> values) {
        return query(table, index, keyCondition, values, b -> { });
    }

    /**
     * Table pk/sk with three GSIs on gk/gs (KEYS_ONLY, INCLUDE a, ALL) and three LSIs on ls (KEYS_ONLY, INCLUDE a, ALL).
     */
    static String indexedTable() {
        return table(true, b -> b
                .attributeDefinitions(def("pk"), def("sk"), def("gk"), def("gs"), def("ls"))
                .globalSecondaryIndexes(
                        gsi("gKeys", projection(ProjectionType.KEYS_ONLY), hash("gk"), range("gs")),
                        gsi("gInc", projection(ProjectionType.INCLUDE, "a"), hash("gk"), range("gs")),
                        gsi("gAll", projection(ProjectionType.ALL), hash("gk"), range("gs")))
                .localSecondaryIndexes(
                        lsi("lKeys", "ls", projection(ProjectionType.KEYS_ONLY)),
                        lsi("lInc", "ls", projection(ProjectionType.INCLUDE, "a")),
                        lsi("lAll", "ls", projection(ProjectionType.ALL))));
    }

    static final Map<String, AttributeValue> FULL = item("pk", s("p"), "sk", s("1"), "gk", s("G"), "gs", s("x"),
            "ls", s("L"), "a", s("A"), "b", s("B"));

    @Test
    void projectionsDecideWhatAGsiQueryReturns() {
        String t = indexedTable();
        dynamo.putItem(r -> r.tableName(t).item(FULL));
        assertThat(query(t, "gKeys", "gk = :g", item(":g", s("G"))).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "gk", s("G"), "gs", s("x")));
        assertThat(query(t, "gInc", "gk = :g", item(":g", s("G"))).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "gk", s("G"), "gs", s("x"), "a", s("A")));
        assertThat(query(t, "gAll", "gk = :g", item(":g", s("G"))).items()).containsExactly(FULL);
        assertThat(query(t, "gAll", "gk = :g", item(":g", s("G")), b -> b.select(Select.ALL_ATTRIBUTES)).items()).containsExactly(FULL);
        assertThat(query(t, "gInc", "gk = :g", item(":g", s("G")), b -> b.select(Select.ALL_PROJECTED_ATTRIBUTES)).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "gk", s("G"), "gs", s("x"), "a", s("A")));
        assertThat(query(t, "gInc", "gk = :g AND gs = :s", item(":g", s("G"), ":s", s("x")), b -> b.projectionExpression("a, pk")).items())
                .containsExactly(item("pk", s("p"), "a", s("A")));
    }

    @Test
    void projectionsDecideWhatAnLsiQueryReturns() {
        String t = indexedTable();
        dynamo.putItem(r -> r.tableName(t).item(FULL));
        assertThat(query(t, "lKeys", "pk = :p AND ls = :l", item(":p", s("p"), ":l", s("L"))).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "ls", s("L")));
        assertThat(query(t, "lInc", "pk = :p", item(":p", s("p"))).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "ls", s("L"), "a", s("A")));
        assertThat(query(t, "lAll", "pk = :p", item(":p", s("p"))).items()).containsExactly(FULL);
    }

    @Test
    void lsiQueriesFetchNonProjectedAttributesFromTheTable() {
        String t = indexedTable();
        dynamo.putItem(r -> r.tableName(t).item(FULL));
        assertThat(query(t, "lKeys", "pk = :p", item(":p", s("p")), b -> b.select(Select.ALL_ATTRIBUTES)).items())
                .containsExactly(FULL);
        assertThat(query(t, "lInc", "pk = :p", item(":p", s("p")), b -> b.projectionExpression("b, a, ls")).items())
                .containsExactly(item("b", s("B"), "a", s("A"), "ls", s("L")));
        assertThat(query(t, "lKeys", "pk = :p AND ls = :l", item(":p", s("p"), ":l", s("L")), b -> b.select(Select.ALL_ATTRIBUTES)
                .consistentRead(true)).items()).containsExactly(FULL);
    }

    @Test
    void allAttributesOnANonAllGsiIsRefused() {
        String t = indexedTable();
        validation(() -> query(t, "gKeys", "gk = :g", item(":g", s("G")), b -> b.select(Select.ALL_ATTRIBUTES)),
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index gKeys because its projection type is not ALL");
        validation(() -> query(t, "gInc", "gk = :g", item(":g", s("G")), b -> b.select(Select.ALL_ATTRIBUTES)),
                "Select type ALL_ATTRIBUTES is not supported for global secondary index gInc because its projection type is not ALL");
    }

    @Test
    void consistentReadOnAGsiIsRefusedButAllowedOnAnLsi() {
        String t = indexedTable();
        dynamo.putItem(r -> r.tableName(t).item(FULL));
        validation(() -> query(t, "gAll", "gk = :g", item(":g", s("G")), b -> b.consistentRead(true)),
                "Consistent reads are not supported on global secondary indexes");
        assertThat(query(t, "gAll", "gk = :g", item(":g", s("G")), b -> b.consistentRead(false)).count()).isEqualTo(1);
        assertThat(query(t, "lAll", "pk = :p", item(":p", s("p")), b -> b.consistentRead(true)).count()).isEqualTo(1);
    }

    @Test
    void unknownIndexIsRefused() {
        String t = indexedTable();
        validation(() -> query(t, "nope", "pk = :p", item(":p", s("p"))), "The table does not have the specified index: nope");
        String plain = table(true);
        validation(() -> query(plain, "gAll", "gk = :g", item(":g", s("G"))), "The table does not have the specified index: gAll");
    }

    @Test
    void indexKeyConditionsUseTheIndexKeys() {
        String t = indexedTable();
        dynamo.putItem(r -> r.tableName(t).item(FULL));
        validation(() -> query(t, "lAll", "pk = :p AND sk = :s", item(":p", s("p"), ":s", s("1"))),
                "Query condition missed key schema element: ls");
        validation(() -> query(t, "gAll", "gk = :g", item(":g", s("G")), b -> b.filterExpression("gs = :g")),
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: gs");
    }

    @Test
    void aGsiQueryWithoutTheIndexPartitionKeyNamesIt() {
        String t = indexedTable();
        validation(() -> query(t, "gAll", "pk = :p", item(":p", s("p"))), "Query condition missed key schema element: gk");
    }

    @Test
    void aSecondConditionOnAHashOnlyGsiIsNotSupported() {
        String t = table(true, b -> b.attributeDefinitions(def("pk"), def("sk"), def("color"))
                .globalSecondaryIndexes(gsi("byColor", projection(ProjectionType.ALL), hash("color"))));
        validation(() -> query(t, "byColor", "color = :c AND pk = :p", item(":c", s("red"), ":p", s("a"))),
                "Query key condition not supported");
    }

    @Test
    void sparseIndexesHoldOnlyItemsWithTheIndexKey() {
        String t = indexedTable();
        dynamo.putItem(r -> r.tableName(t).item(FULL));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s("2"), "a", s("no index keys"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s("3"), "gk", s("G"), "a", s("no gs"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s("4"), "gs", s("y"), "ls", s("M"))));
        assertThat(query(t, "gAll", "gk = :g", item(":g", s("G"))).items()).extracting(i -> i.get("sk").s()).containsExactly("1");
        assertThat(dynamo.scan(r -> r.tableName(t).indexName("gKeys")).items()).extracting(i -> i.get("sk").s()).containsExactly("1");
        assertThat(query(t, "lKeys", "pk = :p", item(":p", s("p"))).items()).extracting(i -> i.get("sk").s()).containsExactly("1", "4");
        assertThat(dynamo.scan(r -> r.tableName(t).indexName("lAll")).count()).isEqualTo(2);
        assertThat(dynamo.scan(r -> r.tableName(t)).count()).isEqualTo(4);
    }

    @Test
    void indexEntriesFollowUpdatesAndDeletes() {
        String t = indexedTable();
        dynamo.putItem(r -> r.tableName(t).item(FULL));
        Map<String, AttributeValue> key = item("pk", s("p"), "sk", s("1"));

        dynamo.updateItem(r -> r.tableName(t).key(key).updateExpression("SET gk = :h, a = :a")
                .expressionAttributeValues(item(":h", s("H"), ":a", s("A2"))));
        assertThat(query(t, "gAll", "gk = :g", item(":g", s("G"))).items()).isEmpty();
        assertThat(query(t, "gInc", "gk = :g", item(":g", s("H"))).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "gk", s("H"), "gs", s("x"), "a", s("A2")));
        assertThat(query(t, "lInc", "pk = :p", item(":p", s("p"))).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "ls", s("L"), "a", s("A2")));

        // A put that replaces the item without "a" leaves the INCLUDE index without it too.
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s("1"), "gk", s("H"), "gs", s("z"), "ls", s("L2"))));
        assertThat(query(t, "gInc", "gk = :g", item(":g", s("H"))).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "gk", s("H"), "gs", s("z")));
        assertThat(query(t, "lKeys", "pk = :p AND ls = :l", item(":p", s("p"), ":l", s("L"))).items()).isEmpty();
        assertThat(query(t, "lKeys", "pk = :p AND ls = :l", item(":p", s("p"), ":l", s("L2"))).count()).isEqualTo(1);

        dynamo.updateItem(r -> r.tableName(t).key(key).updateExpression("REMOVE gs"));
        assertThat(query(t, "gAll", "gk = :g", item(":g", s("H"))).items()).isEmpty();
        assertThat(dynamo.scan(r -> r.tableName(t).indexName("gKeys")).count()).isZero();
        assertThat(query(t, "lAll", "pk = :p", item(":p", s("p"))).count()).isEqualTo(1);

        dynamo.updateItem(r -> r.tableName(t).key(key).updateExpression("SET gs = :s").expressionAttributeValues(item(":s", s("back"))));
        assertThat(query(t, "gKeys", "gk = :g", item(":g", s("H"))).items())
                .containsExactly(item("pk", s("p"), "sk", s("1"), "gk", s("H"), "gs", s("back")));

        dynamo.deleteItem(r -> r.tableName(t).key(key));
        assertThat(query(t, "gKeys", "gk = :g", item(":g", s("H"))).items()).isEmpty();
        assertThat(query(t, "lAll", "pk = :p", item(":p", s("p"))).items()).isEmpty();
        assertThat(dynamo.scan(r -> r.tableName(t).indexName("lKeys")).count()).isZero();
    }

    @Test
    void gsiWithAHashKeyOnlyAndNonUniqueKeys() {
        String t = table(true, b -> b.attributeDefinitions(def("pk"), def("sk"), def("color"))
                .globalSecondaryIndexes(gsi("byColor", projection(ProjectionType.ALL), hash("color"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("1"), "color", s("red"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("2"), "color", s("red"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"), "sk", s("1"), "color", s("red"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("c"), "sk", s("1"), "color", s("blue"))));
        QueryResponse red = query(t, "byColor", "color = :c", item(":c", s("red")));
        assertThat(red.count()).isEqualTo(3);
        assertThat(red.items()).containsExactlyInAnyOrder(item("pk", s("a"), "sk", s("1"), "color", s("red")),
                item("pk", s("a"), "sk", s("2"), "color", s("red")), item("pk", s("b"), "sk", s("1"), "color", s("red")));
        assertThat(query(t, "byColor", "color = :c", item(":c", s("blue"))).count()).isEqualTo(1);

        // Paging through duplicates of one GSI hash key: every item exactly once, start keys hold table + index keys.
        List<String> seen = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        int pages = 0;
        do {
            Map<String, AttributeValue> esk = start;
            QueryResponse r = query(t, "byColor", "color = :c", item(":c", s("red")), b -> b.limit(1).exclusiveStartKey(esk));
            r.items().forEach(i -> seen.add(i.get("pk").s() + i.get("sk").s()));
            start = r.hasLastEvaluatedKey() ? r.lastEvaluatedKey() : null;
            if (start != null) {
                assertThat(start).containsOnlyKeys("pk", "sk", "color");
            }
            pages++;
        } while (start != null && pages < 20);
        assertThat(seen).containsExactlyInAnyOrder("a1", "a2", "b1");
    }

    @Test
    void gsiItemsWithTheSameIndexKeysAreAllKeptAndOrderedByTheIndexSortKey() {
        String t = indexedTable();
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p1"), "sk", s("1"), "gk", s("G"), "gs", s("b"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p2"), "sk", s("1"), "gk", s("G"), "gs", s("a"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p3"), "sk", s("1"), "gk", s("G"), "gs", s("b"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p4"), "sk", s("1"), "gk", s("G"), "gs", s("c"))));
        QueryResponse r = query(t, "gKeys", "gk = :g", item(":g", s("G")));
        assertThat(r.items()).extracting(i -> i.get("gs").s()).containsExactly("a", "b", "b", "c");
        assertThat(r.items()).extracting(i -> i.get("pk").s()).startsWith("p2").endsWith("p4").contains("p1", "p3");
        assertThat(query(t, "gKeys", "gk = :g AND gs = :s", item(":g", s("G"), ":s", s("b"))).items())
                .extracting(i -> i.get("pk").s()).containsExactlyInAnyOrder("p1", "p3");
        assertThat(query(t, "gKeys", "gk = :g", item(":g", s("G")), b -> b.scanIndexForward(false)).items())
                .extracting(i -> i.get("gs").s()).containsExactly("c", "b", "b", "a");
    }

    @Test
    void lastEvaluatedKeyOfAnIndexQueryHoldsTableAndIndexKeysAndPagesThroughEverything() {
        String t = indexedTable();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            int x = i;
            String gs = "s" + (x / 3); // three items per index sort key value
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p" + x), "sk", s("k"), "gk", s("G"), "gs", s(gs),
                    "ls", s("L" + x))));
            expected.add("p" + x);
        }
        QueryResponse first = query(t, "gKeys", "gk = :g", item(":g", s("G")), b -> b.limit(2));
        Map<String, AttributeValue> last = first.items().get(1);
        assertThat(first.lastEvaluatedKey()).isEqualTo(item("pk", last.get("pk"), "sk", s("k"), "gk", s("G"), "gs", last.get("gs")));
        for (boolean forward : new boolean[]{true, false}) {
            List<String> seen = new ArrayList<>();
            List<String> sortKeys = new ArrayList<>();
            Map<String, AttributeValue> start = null;
            int pages = 0;
            do {
                Map<String, AttributeValue> esk = start;
                QueryResponse r = query(t, "gInc", "gk = :g", item(":g", s("G")),
                        b -> b.limit(2).scanIndexForward(forward).exclusiveStartKey(esk));
                r.items().forEach(i -> {
                    seen.add(i.get("pk").s());
                    sortKeys.add(i.get("gs").s());
                });
                start = r.hasLastEvaluatedKey() ? r.lastEvaluatedKey() : null;
                pages++;
            } while (start != null && pages < 30);
            assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(sortKeys).isEqualTo(forward ? List.of("s0", "s0", "s0", "s1", "s1", "s1", "s2", "s2", "s2")
                    : List.of("s2", "s2", "s2", "s1", "s1", "s1", "s0", "s0", "s0"));
        }
        // An LSI's LastEvaluatedKey: table keys plus the index sort key.
        String lt = indexedTable();
        for (int i = 0; i < 4; i++) {
            int x = i;
            dynamo.putItem(r -> r.tableName(lt).item(item("pk", s("p"), "sk", s("k" + x), "ls", s("L" + (3 - x)))));
        }
        QueryResponse l = query(lt, "lKeys", "pk = :p", item(":p", s("p")), b -> b.limit(2));
        assertThat(l.items()).extracting(i -> i.get("ls").s()).containsExactly("L0", "L1");
        assertThat(l.lastEvaluatedKey()).isEqualTo(item("pk", s("p"), "sk", s("k2"), "ls", s("L1")));
        QueryResponse l2 = query(lt, "lKeys", "pk = :p", item(":p", s("p")), b -> b.limit(2).exclusiveStartKey(l.lastEvaluatedKey()));
        assertThat(l2.items()).extracting(i -> i.get("ls").s()).containsExactly("L2", "L3");
        // A start key lacking the index keys is refused.
        validation(() -> query(lt, "lKeys", "pk = :p", item(":p", s("p")),
                b -> b.exclusiveStartKey(item("pk", s("p"), "sk", s("k2")))), "The provided starting key is invalid");
    }

    @Test
    void indexKeyOfTheWrongTypeOrEmptyIsRefusedOnPutItem() {
        String t = table(false, b -> b.attributeDefinitions(def("pk"), def("gk"))
                .globalSecondaryIndexes(gsi("gsi1", projection(ProjectionType.ALL), hash("gk"))));
        validation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "gk", n("1")))),
                "One or more parameter values were invalid: Type mismatch for Index Key gk Expected: S Actual: N IndexName: gsi1");
        validation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "gk", s("")))),
                "The AttributeValue for a key attribute cannot contain an empty string value");
        validation(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression("SET gk = :v")
                .expressionAttributeValues(item(":v", n("1")))), "Type mismatch for Index Key gk Expected: S Actual: N IndexName: gsi1");
        assertThat(dynamo.scan(r -> r.tableName(t)).count()).isZero();

        String l = table(true, b -> b.attributeDefinitions(def("pk"), def("sk"), def("ls"))
                .localSecondaryIndexes(lsi("lsi1", "ls", projection(ProjectionType.KEYS_ONLY))));
        validation(() -> dynamo.putItem(r -> r.tableName(l).item(item("pk", s("a"), "sk", s("1"), "ls", b((byte) 1)))),
                "One or more parameter values were invalid: Type mismatch for Index Key ls Expected: S Actual: B IndexName: lsi1");
        assertThat(dynamo.scan(r -> r.tableName(l)).count()).isZero();
        // A non-key attribute of any type is fine, and an item without the index key too.
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "other", n("1"))));
        assertThat(dynamo.scan(r -> r.tableName(t).indexName("gsi1")).count()).isZero();
    }

    @Test
    void numberIndexKeysOrderNumerically() {
        String t = table(false, b -> b.attributeDefinitions(def("pk"), def("gk"),
                        AttributeDefinition.builder().attributeName("score").attributeType(ScalarAttributeType.N).build())
                .globalSecondaryIndexes(gsi("byScore", projection(ProjectionType.KEYS_ONLY), hash("gk"), range("score"))));
        for (String v : List.of("10", "-3", "2", "1.5", "100")) {
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("k" + v), "gk", s("g"), "score", n(v))));
        }
        List<String> order = query(t, "byScore", "gk = :g AND score > :z", item(":g", s("g"), ":z", n("1"))).items().stream()
                .map(i -> i.get("score").n()).collect(Collectors.toList());
        assertThat(order).containsExactly("1.5", "2", "10", "100");
    }

    /** A filter may name the table's key on an index query: only the queried index's key attributes are refused. */
    @Test
    void aFilterOnTheTableKeyIsAllowedWhenQueryingAnIndex() {
        String t = table(true, b -> b
                .attributeDefinitions(
                        software.amazon.awssdk.services.dynamodb.model.AttributeDefinition.builder().attributeName("pk").attributeType("S").build(),
                        software.amazon.awssdk.services.dynamodb.model.AttributeDefinition.builder().attributeName("sk").attributeType("S").build(),
                        software.amazon.awssdk.services.dynamodb.model.AttributeDefinition.builder().attributeName("g").attributeType("S").build())
                .globalSecondaryIndexes(g -> g.indexName("byG").keySchema(k -> k.attributeName("g").keyType("HASH"))
                        .projection(p -> p.projectionType("ALL"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("1"), "g", s("G"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"), "sk", s("1"), "g", s("G"))));
        var got = dynamo.query(r -> r.tableName(t).indexName("byG").keyConditionExpression("g = :g")
                .filterExpression("pk = :a").expressionAttributeValues(item(":g", s("G"), ":a", s("b"))));
        org.assertj.core.api.Assertions.assertThat(got.items()).extracting(i -> i.get("pk").s()).containsExactly("b");
        org.assertj.core.api.Assertions.assertThat(got.scannedCount()).isEqualTo(2);
    }
}
