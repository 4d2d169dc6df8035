package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Capacity;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.Select;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ReturnConsumedCapacity (TOTAL, INDEXES), written from the Developer Guide: "Item sizes and formats"
 * (CapacityUnitCalculations.md), "Read/write capacity mode" / "Capacity unit consumption"
 * (ProvisionedThroughput.md: reads rounded to 4 KB, writes to 1 KB, the larger of the old and new item, Query/Scan
 * summed then rounded, BatchGetItem per item, a missing item still 0.5/1), "Capacity management for transactions"
 * (transaction-apis.md: twice the units), GSI.md and LSI.md "Provisioned throughput considerations" (index writes),
 * and the API reference of ConsumedCapacity.
 *
 * Item sizes are worked out by hand in comments: name bytes + value bytes; S = UTF-8 bytes; N = 1 byte per two
 * significant digits + 1 (+1 when negative); B = raw bytes; BOOL/NULL = 1; L/M = 3 + 1 per element + elements (map
 * keys count); sets = the sum of their elements.
 */
class CapacityTest extends Conformance {

    private static String pad(int n) {
        return "x".repeat(n);
    }

    /** {pk: "a", d: S(n)}: 2 + 1 + 1 + n = n + 4 bytes. */
    private static Map<String, AttributeValue> sized(String pk, int bytes) {
        // "pk" (2) + pk value + "d" (1) + padding = bytes
        return item("pk", s(pk), "d", s(pad(bytes - 3 - pk.length())));
    }

    private static double put(String t, Map<String, AttributeValue> item) {
        return dynamo.putItem(r -> r.tableName(t).item(item).returnConsumedCapacity(ReturnConsumedCapacity.TOTAL))
                .consumedCapacity().capacityUnits();
    }

    private static String gsiTable(ProjectionType projection) {
        return table(false, b -> b
                .attributeDefinitions(
                        AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build(),
                        AttributeDefinition.builder().attributeName("gk").attributeType(ScalarAttributeType.S).build())
                .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("byGk")
                        .keySchema(k -> k.attributeName("gk").keyType("HASH"))
                        .projection(p -> p.projectionType(projection)).build()));
    }

    /** Units charged to the GSI byGk (absent = 0). */
    private static double gsiUnits(ConsumedCapacity c) {
        Capacity gsi = c.globalSecondaryIndexes().get("byGk");
        return gsi == null ? 0.0 : gsi.capacityUnits();
    }

    private static double tableUnits(ConsumedCapacity c) {
        return c.table() == null || c.table().capacityUnits() == null ? 0.0 : c.table().capacityUnits();
    }

    // ---- shape ----

    @Test
    void totalCarriesTableNameAndCapacityUnitsOnly() {
        String t = table(false);
        ConsumedCapacity c = dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity();
        assertThat(c.tableName()).isEqualTo(t);
        assertThat(c.capacityUnits()).isEqualTo(1.0);
        assertThat(c.table()).isNull();
        assertThat(c.hasGlobalSecondaryIndexes()).isFalse();
        assertThat(c.readCapacityUnits()).isNull();
        assertThat(c.writeCapacityUnits()).isNull();

        ConsumedCapacity ix = dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b")))
                .returnConsumedCapacity(ReturnConsumedCapacity.INDEXES)).consumedCapacity();
        assertThat(ix.capacityUnits()).isEqualTo(1.0);
        assertThat(ix.table().capacityUnits()).isEqualTo(1.0);
        assertThat(ix.hasGlobalSecondaryIndexes()).isFalse();
        assertThat(ix.hasLocalSecondaryIndexes()).isFalse();
    }

    @Test
    void noneOrAbsentReturnsNoConsumedCapacity() {
        String t = table(false);
        assertThat(dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a")))).consumedCapacity()).isNull();
        assertThat(dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.NONE)).consumedCapacity()).isNull();
        assertThat(dynamo.getItem(r -> r.tableName(t).key(item("pk", s("a")))).consumedCapacity()).isNull();
    }

    @Test
    void anUnknownReturnConsumedCapacityIsRefused() {
        String t = table(false);
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"))).returnConsumedCapacity("BOGUS")))
                .isInstanceOfSatisfying(DynamoDbException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                    assertThat(e.awsErrorDetails().errorMessage())
                            .contains("Member must satisfy enum value set: [INDEXES, TOTAL, NONE]");
                });
    }

    // ---- item sizes, through PutItem's 1 KB rounding ----

    @Test
    void aPutOf1024BytesIsOneUnitAnd1025IsTwo() {
        String t = table(false);
        // "pk"(2) + "a"(1) + "d"(1) + 1020 = 1024 -> ceil(1024/1024) = 1
        assertThat(put(t, item("pk", s("a"), "d", s(pad(1020))))).isEqualTo(1.0);
        // "pk"(2) + "b"(1) + "d"(1) + 1021 = 1025 -> 2 (a new item: nothing replaced)
        assertThat(put(t, item("pk", s("b"), "d", s(pad(1021))))).isEqualTo(2.0);
        // 2048 -> 2, 2049 -> 3
        assertThat(put(t, sized("c", 2048))).isEqualTo(2.0);
        assertThat(put(t, sized("e", 2049))).isEqualTo(3.0);
    }

    @Test
    void attributeNamesCount() {
        String t = table(false);
        // "pk"(2) + "a"(1) + name of 11 bytes + 1010 = 1024 -> 1
        assertThat(put(t, item("pk", s("a"), "elevenbytes", s(pad(1010))))).isEqualTo(1.0);
        // the same value under a 12-byte name: 1025 -> 2
        assertThat(put(t, item("pk", s("b"), "twelve_bytes", s(pad(1010))))).isEqualTo(2.0);
    }

    @Test
    void stringsAndNamesAreMeasuredInUtf8Bytes() {
        String t = table(false);
        // "pk"(2) + "a"(1) + "é"(2 bytes) + "€" x 339 (3 bytes each = 1017) + "x"(1) + "y"(1) = 1024 -> 1
        assertThat(put(t, item("pk", s("a"), "é", s("€".repeat(339)), "x", s("y")))).isEqualTo(1.0);
        // one more byte in "x": 1025 -> 2 (UTF-16 units would give 2+1+1+339+1+2 = 346 -> 1)
        assertThat(put(t, item("pk", s("b"), "é", s("€".repeat(339)), "x", s("yy")))).isEqualTo(2.0);
    }

    @Test
    void numbersAreMeasuredBySignificantDigits() {
        String t = table(false);
        String digits38 = "12345678901234567890123456789012345678";
        // "pk"(2) + "a"(1)                                 = 3
        // "n1"(2) + 38 significant digits: 1 + 38/2 = 20    = 22
        // "n2"(2) + "-42": 1 + 1 + 1 (negative)            = 5
        // "n3"(2) + "0.0000001": one digit: 1 + 1          = 4
        // "d"(1) + 989                                     = 990
        // total 3 + 22 + 5 + 4 + 990 = 1024 -> 1
        assertThat(put(t, item("pk", s("a"), "n1", n(digits38), "n2", n("-42"), "n3", n("0.0000001"),
                "d", s(pad(989))))).isEqualTo(1.0);
        // padding 990: 1025 -> 2. (Counting the numbers' characters, 38 + 3 + 9, would make the first item 1049 -> 2.)
        assertThat(put(t, item("pk", s("b"), "n1", n(digits38), "n2", n("-42"), "n3", n("0.0000001"),
                "d", s(pad(990))))).isEqualTo(2.0);
        // Leading and trailing zeroes are trimmed: "0012.3400" is 4 significant digits -> 1 + 2 = 3 bytes.
        // "pk"(2) + "c"(1) + "n"(1) + 3 + "d"(1) + 1016 = 1024 -> 1
        assertThat(put(t, item("pk", s("c"), "n", n("0012.3400"), "d", s(pad(1016))))).isEqualTo(1.0);
        assertThat(put(t, item("pk", s("e"), "n", n("0012.3400"), "d", s(pad(1017))))).isEqualTo(2.0);
    }

    @Test
    void binaryBooleanNullListMapAndSetSizes() {
        String t = table(false);
        // "pk"(2) + "a"(1)                                               = 3
        // "b"(1) + BOOL 1                                                = 2
        // "z"(1) + NULL 1                                                = 2
        // "m"(1) + M{"k": S "vv"}: 3 + 1 (element) + "k"(1) + 2          = 8
        // "l"(1) + L[N "1", S "ab"]: 3 + (1 + 2) + (1 + 2)               = 10
        // "ss"(2) + SS["ab", "c"]: 2 + 1                                 = 5
        // "bs"(2) + BS[3 raw bytes]                                      = 5
        // "ns"(2) + NS["12", "-1"]: 2 + 3                                = 7
        // "r"(1) + B 4 raw bytes                                         = 5
        // sum 47; "d"(1) + 976                                           = 977 -> 1024 -> 1
        Map<String, AttributeValue> base = item("pk", s("a"), "b", AttributeValue.fromBool(true),
                "z", AttributeValue.fromNul(true),
                "m", AttributeValue.fromM(item("k", s("vv"))),
                "l", AttributeValue.fromL(List.of(n("1"), s("ab"))),
                "ss", AttributeValue.fromSs(List.of("ab", "c")),
                "bs", AttributeValue.fromBs(List.of(SdkBytes.fromByteArray(new byte[] {1, 2, 3}))),
                "ns", AttributeValue.fromNs(List.of("12", "-1")),
                "r", b((byte) 0, (byte) 1, (byte) 2, (byte) 3));
        Map<String, AttributeValue> at = new java.util.LinkedHashMap<>(base);
        at.put("d", s(pad(976)));
        assertThat(put(t, at)).isEqualTo(1.0);
        Map<String, AttributeValue> over = new java.util.LinkedHashMap<>(base);
        over.put("pk", s("b"));
        over.put("d", s(pad(977)));
        assertThat(put(t, over)).isEqualTo(2.0);
    }

    // ---- writes ----

    @Test
    void putChargesTheLargerOfTheOldAndNewItem() {
        String t = table(false);
        assertThat(put(t, sized("a", 3000))).isEqualTo(3.0);           // ceil(3000/1024) = 3
        assertThat(put(t, item("pk", s("a")))).isEqualTo(3.0);          // replaces 3000 bytes with 3: max -> 3
        assertThat(put(t, sized("a", 1024))).isEqualTo(1.0);           // replaces 3 bytes: 1024 -> 1
    }

    @Test
    void updateChargesTheLargerOfTheItemBeforeAndAfter() {
        String t = table(false);
        put(t, sized("a", 1025));
        // before 1025 (2), after "pk"+"a" = 3 bytes: 2
        assertThat(dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression("REMOVE d")
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(2.0);
        // before 3, after 3 + "d"(1) + 2100 = 2104 -> 3
        assertThat(dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression("SET d = :d")
                .expressionAttributeValues(item(":d", s(pad(2100))))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(3.0);
        // a small change to the 2104-byte item: still 3, "even if you update just a subset of the item's attributes"
        assertThat(dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"))).updateExpression("SET f = :f")
                .expressionAttributeValues(item(":f", n("1")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(3.0);
        // an update creating an item of 3 bytes: 1
        assertThat(dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("new"))).updateExpression("REMOVE nothing")
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(1.0);
    }

    @Test
    void deleteChargesTheSizeOfTheDeletedItem() {
        String t = table(false);
        put(t, sized("a", 2050));
        // ceil(2050/1024) = 3
        assertThat(dynamo.deleteItem(r -> r.tableName(t).key(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(3.0);
        // nothing to delete: 1
        assertThat(dynamo.deleteItem(r -> r.tableName(t).key(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(1.0);
    }

    @Test
    void batchWriteRoundsEachItemSeparately() {
        String t = table(false);
        // 500 B -> 1, 3.5 KB (3584 B) -> 4: 5 (a single 4084-byte write would be 4)
        List<ConsumedCapacity> c = dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, List.of(
                WriteRequest.builder().putRequest(PutRequest.builder().item(sized("a", 500)).build()).build(),
                WriteRequest.builder().putRequest(PutRequest.builder().item(sized("b", 3584)).build()).build())))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity();
        assertThat(c).hasSize(1);
        assertThat(c.get(0).tableName()).isEqualTo(t);
        assertThat(c.get(0).capacityUnits()).isEqualTo(5.0);
    }

    // ---- reads ----

    @Test
    void getItemRoundsTo4KbAndHalvesEventuallyConsistentReads() {
        String t = table(false);
        put(t, sized("a", 4096));
        put(t, sized("b", 4097));
        // 4096 -> 1 strongly consistent, 0.5 eventually consistent (the default)
        assertThat(getUnits(t, "a", true, null)).isEqualTo(1.0);
        assertThat(getUnits(t, "a", false, null)).isEqualTo(0.5);
        assertThat(getUnits(t, "a", null, null)).isEqualTo(0.5);
        // 4097 -> 2 / 1
        assertThat(getUnits(t, "b", true, null)).isEqualTo(2.0);
        assertThat(getUnits(t, "b", false, null)).isEqualTo(1.0);
        // a projection does not reduce the cost
        assertThat(getUnits(t, "b", true, "pk")).isEqualTo(2.0);
        // a missing item: 1 / 0.5
        assertThat(getUnits(t, "missing", true, null)).isEqualTo(1.0);
        assertThat(getUnits(t, "missing", false, null)).isEqualTo(0.5);
    }

    private static double getUnits(String t, String pk, Boolean consistent, String projection) {
        ConsumedCapacity c = dynamo.getItem(r -> r.tableName(t).key(item("pk", s(pk))).consistentRead(consistent)
                .projectionExpression(projection).returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity();
        assertThat(c.tableName()).isEqualTo(t);
        assertThat(c.readCapacityUnits()).isNull();
        return c.capacityUnits();
    }

    /** 10 items of exactly 1024 bytes under pk "p": "pk"(2) + "p"(1) + "sk"(2) + "0N"(2) + "d"(1) + 1016. */
    private static String tenItemsOf1Kb() {
        String t = table(true);
        for (int i = 0; i < 10; i++) {
            String sk = "0" + i;
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", s(sk), "d", s(pad(1016)))));
        }
        return t;
    }

    @Test
    void querySumsTheItemsReadThenRoundsTo4Kb() {
        String t = tenItemsOf1Kb();
        // 10 x 1024 = 10240 -> ceil(10240/4096) = 3 (per item it would be 10)
        assertThat(queryUnits(t, true, null, null, null)).isEqualTo(3.0);
        assertThat(queryUnits(t, false, null, null, null)).isEqualTo(1.5);
        // a filter matching nothing: the items were still read
        assertThat(queryUnits(t, true, "d = :none", null, null)).isEqualTo(3.0);
        // COUNT reads the same items
        assertThat(queryUnits(t, true, null, Select.COUNT, null)).isEqualTo(3.0);
        // Limit 4: 4096 -> 1; Limit 5: 5120 -> 2
        assertThat(queryUnits(t, true, null, null, 4)).isEqualTo(1.0);
        assertThat(queryUnits(t, true, null, null, 5)).isEqualTo(2.0);
    }

    private static double queryUnits(String t, boolean consistent, String filter, Select select, Integer limit) {
        Map<String, AttributeValue> values = new java.util.HashMap<>(item(":p", s("p")));
        if (filter != null) {
            values.put(":none", s("nothing"));
        }
        return dynamo.query(r -> r.tableName(t).keyConditionExpression("pk = :p").filterExpression(filter)
                .expressionAttributeValues(values).consistentRead(consistent).select(select).limit(limit)
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits();
    }

    @Test
    void scanSumsTheItemsEvaluatedThenRoundsTo4Kb() {
        String t = tenItemsOf1Kb();
        assertThat(dynamo.scan(r -> r.tableName(t).consistentRead(true)
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(3.0);
        assertThat(dynamo.scan(r -> r.tableName(t)
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(1.5);
        assertThat(dynamo.scan(r -> r.tableName(t).consistentRead(true).filterExpression("d = :none")
                .expressionAttributeValues(item(":none", s("nothing")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity().capacityUnits()).isEqualTo(3.0);
    }

    @Test
    void batchGetRoundsEachItemSeparately() {
        String t = table(false);
        put(t, sized("a", 1536));   // 1.5 KB -> 1
        put(t, sized("b", 6656));   // 6.5 KB -> 2
        List<ConsumedCapacity> strong = dynamo.batchGetItem(r -> r.requestItems(Map.of(t, KeysAndAttributes.builder()
                .keys(item("pk", s("a")), item("pk", s("b"))).consistentRead(true).build()))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity();
        assertThat(strong).hasSize(1);
        assertThat(strong.get(0).tableName()).isEqualTo(t);
        assertThat(strong.get(0).capacityUnits()).isEqualTo(3.0);   // 1 + 2 (8 KB summed would be 2)
        List<ConsumedCapacity> eventual = dynamo.batchGetItem(r -> r.requestItems(Map.of(t, KeysAndAttributes.builder()
                .keys(item("pk", s("a")), item("pk", s("b"))).build()))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity();
        assertThat(eventual.get(0).capacityUnits()).isEqualTo(1.5);
    }

    // ---- transactions: two units per unit ----

    @Test
    void transactWriteItemsChargesTwiceTheWriteUnitsPerTable() {
        String t1 = table(false);
        String t2 = table(false);
        // t1: 1024 -> 1 and 1025 -> 2, doubled = 6; t2: 1000 -> 1, doubled = 2
        List<ConsumedCapacity> c = dynamo.transactWriteItems(r -> r.transactItems(
                TransactWriteItem.builder().put(p -> p.tableName(t1).item(sized("a", 1024))).build(),
                TransactWriteItem.builder().put(p -> p.tableName(t1).item(sized("b", 1025))).build(),
                TransactWriteItem.builder().put(p -> p.tableName(t2).item(sized("c", 1000))).build())
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)).consumedCapacity();
        Map<String, ConsumedCapacity> byTable = c.stream().collect(Collectors.toMap(ConsumedCapacity::tableName, x -> x));
        assertThat(byTable).containsOnlyKeys(t1, t2);
        assertThat(byTable.get(t1).capacityUnits()).isEqualTo(6.0);
        assertThat(byTable.get(t1).writeCapacityUnits()).isEqualTo(6.0);
        assertThat(byTable.get(t2).capacityUnits()).isEqualTo(2.0);
        assertThat(byTable.get(t2).writeCapacityUnits()).isEqualTo(2.0);

        // Update of the 1025-byte item to 3 bytes: max 2, doubled = 4; Delete of the 1024-byte one: 1, doubled = 2.
        List<ConsumedCapacity> ix = dynamo.transactWriteItems(r -> r.transactItems(
                TransactWriteItem.builder().update(u -> u.tableName(t1).key(item("pk", s("b"))).updateExpression("REMOVE d")).build(),
                TransactWriteItem.builder().delete(d -> d.tableName(t1).key(item("pk", s("a")))).build())
                .returnConsumedCapacity(ReturnConsumedCapacity.INDEXES)).consumedCapacity();
        assertThat(ix).hasSize(1);
        assertThat(ix.get(0).tableName()).isEqualTo(t1);
        assertThat(ix.get(0).capacityUnits()).isEqualTo(6.0);
        assertThat(ix.get(0).writeCapacityUnits()).isEqualTo(6.0);
        assertThat(ix.get(0).table().capacityUnits()).isEqualTo(6.0);
        assertThat(ix.get(0).table().writeCapacityUnits()).isEqualTo(6.0);
    }

    @Test
    void transactGetItemsChargesTwiceTheReadUnitsPerItem() {
        String t = table(false);
        put(t, sized("a", 4096));
        put(t, sized("b", 4097));
        // 4096 -> 1 x 2 = 2; 4097 -> 2 x 2 = 4; missing -> 1 x 2 = 2: 8
        List<ConsumedCapacity> c = dynamo.transactGetItems(r -> r.transactItems(
                TransactGetItem.builder().get(g -> g.tableName(t).key(item("pk", s("a")))).build(),
                TransactGetItem.builder().get(g -> g.tableName(t).key(item("pk", s("b")))).build(),
                TransactGetItem.builder().get(g -> g.tableName(t).key(item("pk", s("missing")))).build())
                .returnConsumedCapacity(ReturnConsumedCapacity.INDEXES)).consumedCapacity();
        assertThat(c).hasSize(1);
        assertThat(c.get(0).tableName()).isEqualTo(t);
        assertThat(c.get(0).capacityUnits()).isEqualTo(8.0);
        assertThat(c.get(0).readCapacityUnits()).isEqualTo(8.0);
        assertThat(c.get(0).table().capacityUnits()).isEqualTo(8.0);
        assertThat(c.get(0).table().readCapacityUnits()).isEqualTo(8.0);
    }

    // ---- global secondary indexes ----

    private static ConsumedCapacity putIx(String t, Map<String, AttributeValue> item) {
        return dynamo.putItem(r -> r.tableName(t).item(item).returnConsumedCapacity(ReturnConsumedCapacity.INDEXES))
                .consumedCapacity();
    }

    private static ConsumedCapacity updateIx(String t, String pk, String expression, Map<String, AttributeValue> values) {
        return dynamo.updateItem(r -> r.tableName(t).key(item("pk", s(pk))).updateExpression(expression)
                .expressionAttributeValues(values).returnConsumedCapacity(ReturnConsumedCapacity.INDEXES)).consumedCapacity();
    }

    @Test
    void gsiWritesUnderIndexes() {
        String t = gsiTable(ProjectionType.KEYS_ONLY);

        // a new item that has the index key: 1 table write + 1 index put
        ConsumedCapacity c = putIx(t, item("pk", s("a"), "gk", s("g1"), "x", s("1")));
        assertThat(tableUnits(c)).isEqualTo(1.0);
        assertThat(gsiUnits(c)).isEqualTo(1.0);
        assertThat(c.capacityUnits()).isEqualTo(2.0);

        // the index key changes g1 -> g2: delete the old entry + put the new one = 2
        c = updateIx(t, "a", "SET gk = :g", item(":g", s("g2")));
        assertThat(tableUnits(c)).isEqualTo(1.0);
        assertThat(gsiUnits(c)).isEqualTo(2.0);
        assertThat(c.capacityUnits()).isEqualTo(3.0);

        // only a non-projected attribute of a KEYS_ONLY index changes: the index is not written
        c = updateIx(t, "a", "SET x = :x", item(":x", s("2")));
        assertThat(tableUnits(c)).isEqualTo(1.0);
        assertThat(gsiUnits(c)).isEqualTo(0.0);
        assertThat(c.capacityUnits()).isEqualTo(1.0);

        // the index key is removed: 1 index delete
        c = updateIx(t, "a", "REMOVE gk", null);
        assertThat(tableUnits(c)).isEqualTo(1.0);
        assertThat(gsiUnits(c)).isEqualTo(1.0);
        assertThat(c.capacityUnits()).isEqualTo(2.0);

        // not in the index before or after: 0
        c = updateIx(t, "a", "SET x = :x", item(":x", s("3")));
        assertThat(gsiUnits(c)).isEqualTo(0.0);
        assertThat(c.capacityUnits()).isEqualTo(1.0);
        c = putIx(t, item("pk", s("b"), "x", s("1")));
        assertThat(gsiUnits(c)).isEqualTo(0.0);
        assertThat(c.capacityUnits()).isEqualTo(1.0);

        // the index key added by an update: 1 index put
        c = updateIx(t, "b", "SET gk = :g", item(":g", s("g3")));
        assertThat(gsiUnits(c)).isEqualTo(1.0);
        assertThat(c.capacityUnits()).isEqualTo(2.0);

        // deleting an item that is in the index: 1 + 1
        c = dynamo.deleteItem(r -> r.tableName(t).key(item("pk", s("b")))
                .returnConsumedCapacity(ReturnConsumedCapacity.INDEXES)).consumedCapacity();
        assertThat(tableUnits(c)).isEqualTo(1.0);
        assertThat(gsiUnits(c)).isEqualTo(1.0);
        assertThat(c.capacityUnits()).isEqualTo(2.0);

        // TOTAL includes the index writes
        assertThat(put(t, item("pk", s("c"), "gk", s("g1")))).isEqualTo(2.0);
    }

    @Test
    void gsiWritesOfAnAllProjectionFollowTheEntrySize() {
        String t = gsiTable(ProjectionType.ALL);
        // item "pk"(2) + "a"(1) + "gk"(2) + "g"(1) + "d"(1) + 1493 = 1500 -> table 2, index entry (whole item) 2
        ConsumedCapacity c = putIx(t, item("pk", s("a"), "gk", s("g"), "d", s(pad(1493))));
        assertThat(tableUnits(c)).isEqualTo(2.0);
        assertThat(gsiUnits(c)).isEqualTo(2.0);
        assertThat(c.capacityUnits()).isEqualTo(4.0);

        // a small item; an update changing only a projected non-key attribute: 1 index write
        putIx(t, item("pk", s("s"), "gk", s("g"), "x", s("1")));
        c = updateIx(t, "s", "SET x = :x", item(":x", s("2")));
        assertThat(tableUnits(c)).isEqualTo(1.0);
        assertThat(gsiUnits(c)).isEqualTo(1.0);
        assertThat(c.capacityUnits()).isEqualTo(2.0);
    }

    @Test
    void aGsiQueryChargesTheIndexEntriesNotTheTableItems() {
        String t = gsiTable(ProjectionType.KEYS_ONLY);
        // table items of ~8 KB; their KEYS_ONLY entries are "pk"(2) + "qN"(2) + "gk"(2) + "G"(1) = 7 bytes
        put(t, item("pk", s("q1"), "gk", s("G"), "d", s(pad(8000))));
        put(t, item("pk", s("q2"), "gk", s("G"), "d", s(pad(8000))));
        ConsumedCapacity c = dynamo.query(r -> r.tableName(t).indexName("byGk").keyConditionExpression("gk = :g")
                .expressionAttributeValues(item(":g", s("G"))).returnConsumedCapacity(ReturnConsumedCapacity.INDEXES))
                .consumedCapacity();
        // 14 bytes -> ceil(14/4096) = 1, eventually consistent (GSIs always are) -> 0.5
        assertThat(gsiUnits(c)).isEqualTo(0.5);
        assertThat(tableUnits(c)).isEqualTo(0.0);
        assertThat(c.capacityUnits()).isEqualTo(0.5);
        assertThat(c.tableName()).isEqualTo(t);

        ConsumedCapacity total = dynamo.query(r -> r.tableName(t).indexName("byGk").keyConditionExpression("gk = :g")
                .expressionAttributeValues(item(":g", s("G"))).returnConsumedCapacity(ReturnConsumedCapacity.TOTAL))
                .consumedCapacity();
        assertThat(total.capacityUnits()).isEqualTo(0.5);
    }
}
