package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.Select;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Scan, written from the DynamoDB API Reference "Scan" (Limit, ExclusiveStartKey/LastEvaluatedKey, Segment and
 * TotalSegments with their ranges, Select, FilterExpression, IndexName, ConsistentRead) and the Developer Guide
 * "Scanning tables in DynamoDB" (Scan.html: "Filter expressions for Scan", "Limiting the number of items in the
 * result set", "Paginating the results", "Counting the items in the results", "Parallel scan").
 */
class ScanTest extends Conformance {

    static void validation(ThrowingCallable call, String fragment) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(fragment);
        });
    }

    static ScanResponse scan(String table, Consumer<ScanRequest.Builder> adjust) {
        ScanRequest.Builder b = ScanRequest.builder().tableName(table);
        adjust.accept(b);
        return dynamo.scan(b.build());
    }

    static Set<String> pks(ScanResponse r) {
        return r.items().stream().map(i -> i.get("pk").s()).collect(Collectors.toSet());
    }

    static String tableOf(int count) {
        String t = table(false);
        for (int i = 0; i < count; i++) {
            int x = i;
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("k" + x), "n", n(Integer.toString(x)),
                    "parity", s(x % 2 == 0 ? "even" : "odd"))));
        }
        return t;
    }

    static Set<String> keys(int count) {
        Set<String> s = new HashSet<>();
        for (int i = 0; i < count; i++) {
            s.add("k" + i);
        }
        return s;
    }

    /** Every page of a scan, following LastEvaluatedKey; returns the pk of every item in the order returned. */
    static List<String> scanAll(String table, Consumer<ScanRequest.Builder> adjust) {
        List<String> seen = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        int pages = 0;
        do {
            Map<String, AttributeValue> esk = start;
            ScanResponse r = scan(table, b -> {
                adjust.accept(b);
                b.exclusiveStartKey(esk);
            });
            r.items().forEach(i -> seen.add(i.get("pk").s()));
            start = r.hasLastEvaluatedKey() ? r.lastEvaluatedKey() : null;
            pages++;
        } while (start != null && pages < 1000);
        assertThat(pages).isLessThan(1000);
        return seen;
    }

    @Test
    void scanReturnsEveryItemOfTheTable() {
        String t = tableOf(10);
        ScanResponse r = scan(t, b -> { });
        assertThat(pks(r)).isEqualTo(keys(10));
        assertThat(r.count()).isEqualTo(10);
        assertThat(r.scannedCount()).isEqualTo(10);
        assertThat(r.hasLastEvaluatedKey()).isFalse();
        assertThat(r.items()).contains(item("pk", s("k3"), "n", n("3"), "parity", s("odd")));
        ScanResponse empty = scan(table(true), b -> { });
        assertThat(empty.items()).isEmpty();
        assertThat(empty.count()).isZero();
        assertThat(empty.hasLastEvaluatedKey()).isFalse();
    }

    @Test
    void scanOfAnIndexReturnsOnlyItemsInTheIndexWithItsProjection() {
        String t = table(false, b -> b
                .attributeDefinitions(AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build(),
                        AttributeDefinition.builder().attributeName("g").attributeType(ScalarAttributeType.S).build())
                .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("byG")
                        .keySchema(KeySchemaElement.builder().attributeName("g").keyType(KeyType.HASH).build())
                        .projection(Projection.builder().projectionType(ProjectionType.KEYS_ONLY).build()).build()));
        for (int i = 0; i < 6; i++) {
            int x = i;
            dynamo.putItem(r -> r.tableName(t).item(x % 2 == 0
                    ? item("pk", s("k" + x), "g", s("G" + x), "other", s("o"))
                    : item("pk", s("k" + x), "other", s("o"))));
        }
        ScanResponse r = scan(t, b -> b.indexName("byG"));
        assertThat(r.count()).isEqualTo(3);
        assertThat(r.items()).containsExactlyInAnyOrder(item("pk", s("k0"), "g", s("G0")),
                item("pk", s("k2"), "g", s("G2")), item("pk", s("k4"), "g", s("G4")));
        ScanResponse limited = scan(t, b -> b.indexName("byG").limit(2));
        assertThat(limited.count()).isEqualTo(2);
        assertThat(limited.lastEvaluatedKey()).containsOnlyKeys("pk", "g");
        assertThat(scanAll(t, b -> b.indexName("byG").limit(1))).containsExactlyInAnyOrder("k0", "k2", "k4");
        validation(() -> scan(t, b -> b.indexName("byG").consistentRead(true)),
                "Consistent reads are not supported on global secondary indexes");
        validation(() -> scan(t, b -> b.indexName("nope")), "The table does not have the specified index: nope");
        validation(() -> scan(t, b -> b.indexName("byG").select(Select.ALL_ATTRIBUTES)),
                "Select type ALL_ATTRIBUTES is not supported for global secondary index byG because its projection type is not ALL");
    }

    @Test
    void limitAndPagingVisitEveryItemExactlyOnce() {
        String t = tableOf(17);
        ScanResponse first = scan(t, b -> b.limit(5));
        assertThat(first.count()).isEqualTo(5);
        assertThat(first.scannedCount()).isEqualTo(5);
        assertThat(first.lastEvaluatedKey()).isEqualTo(item("pk", first.items().get(4).get("pk")));
        List<String> seen = scanAll(t, b -> b.limit(5));
        assertThat(seen).hasSize(17).doesNotHaveDuplicates();
        assertThat(new HashSet<>(seen)).isEqualTo(keys(17));
        validation(() -> scan(t, b -> b.limit(0)),
                "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1");
    }

    @Test
    void limitReachedExactlyStillReturnsALastEvaluatedKey() {
        String t = tableOf(4);
        ScanResponse r = scan(t, b -> b.limit(4));
        assertThat(r.count()).isEqualTo(4);
        assertThat(r.hasLastEvaluatedKey()).isTrue();
        ScanResponse next = scan(t, b -> b.limit(4).exclusiveStartKey(r.lastEvaluatedKey()));
        assertThat(next.items()).isEmpty();
        assertThat(next.hasLastEvaluatedKey()).isFalse();
        assertThat(scan(t, b -> b.limit(5)).hasLastEvaluatedKey()).isFalse();
    }

    @Test
    void filterExpressionAndLimitCountItemsEvaluated() {
        String t = tableOf(10);
        ScanResponse r = scan(t, b -> b.filterExpression("parity = :p").expressionAttributeValues(item(":p", s("even"))));
        assertThat(pks(r)).containsExactlyInAnyOrder("k0", "k2", "k4", "k6", "k8");
        assertThat(r.count()).isEqualTo(5);
        assertThat(r.scannedCount()).isEqualTo(10);
        // Unlike Query, a Scan filter may use the key attributes.
        ScanResponse onKey = scan(t, b -> b.filterExpression("pk IN (:a, :b)").expressionAttributeValues(item(":a", s("k1"), ":b", s("k7"))));
        assertThat(pks(onKey)).containsExactlyInAnyOrder("k1", "k7");
        assertThat(onKey.scannedCount()).isEqualTo(10);
        ScanResponse limited = scan(t, b -> b.limit(4).filterExpression("n >= :z").expressionAttributeValues(item(":z", n("100"))));
        assertThat(limited.items()).isEmpty();
        assertThat(limited.count()).isZero();
        assertThat(limited.scannedCount()).isEqualTo(4);
        assertThat(limited.hasLastEvaluatedKey()).isTrue();
        List<String> evens = scanAll(t, b -> b.limit(3).filterExpression("parity = :p").expressionAttributeValues(item(":p", s("even"))));
        assertThat(evens).containsExactlyInAnyOrder("k0", "k2", "k4", "k6", "k8");
    }

    @Test
    void selectCountAndProjection() {
        String t = tableOf(7);
        ScanResponse count = scan(t, b -> b.select(Select.COUNT));
        assertThat(count.items()).isEmpty();
        assertThat(count.count()).isEqualTo(7);
        assertThat(count.scannedCount()).isEqualTo(7);
        ScanResponse filtered = scan(t, b -> b.select(Select.COUNT).filterExpression("parity = :p").expressionAttributeValues(item(":p", s("odd"))));
        assertThat(filtered.count()).isEqualTo(3);
        assertThat(filtered.scannedCount()).isEqualTo(7);
        ScanResponse projected = scan(t, b -> b.projectionExpression("n"));
        assertThat(projected.items()).hasSize(7).allSatisfy(i -> assertThat(i).containsOnlyKeys("n"));
        validation(() -> scan(t, b -> b.select(Select.COUNT).projectionExpression("n")),
                "Cannot specify the ProjectionExpression when choosing to get only the Count");
        validation(() -> scan(t, b -> b.select(Select.SPECIFIC_ATTRIBUTES)),
                "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES");
    }

    @Test
    void parallelScanPutsEveryItemInExactlyOneSegment() {
        String t = tableOf(60);
        for (int total : new int[]{1, 2, 4, 7}) {
            List<String> seen = new ArrayList<>();
            for (int segment = 0; segment < total; segment++) {
                int seg = segment;
                seen.addAll(scanAll(t, b -> b.totalSegments(total).segment(seg).limit(4)));
            }
            assertThat(seen).as("TotalSegments %d", total).hasSize(60).doesNotHaveDuplicates();
            assertThat(new HashSet<>(seen)).isEqualTo(keys(60));
        }
        // With 60 items and 2 segments, each segment holds some but not all of them.
        List<String> zero = scanAll(t, b -> b.totalSegments(2).segment(0));
        assertThat(zero).isNotEmpty().hasSizeLessThan(60);
        // Unpaged, each segment gives the same items as paged.
        assertThat(zero).containsExactlyInAnyOrderElementsOf(scanAll(t, b -> b.totalSegments(2).segment(0).limit(3)));
    }

    @Test
    void parallelScanErrors() {
        String t = tableOf(20);
        validation(() -> scan(t, b -> b.segment(0)),
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present");
        validation(() -> scan(t, b -> b.segment(1)),
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present");
        validation(() -> scan(t, b -> b.totalSegments(2)),
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present");
        validation(() -> scan(t, b -> b.totalSegments(1).segment(1)),
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 1 is not less than TotalSegments: 1");
        validation(() -> scan(t, b -> b.totalSegments(4).segment(7)),
                "Segment: 7 is not less than TotalSegments: 4");
        validation(() -> scan(t, b -> b.totalSegments(0).segment(0)),
                "Value '0' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1");
        validation(() -> scan(t, b -> b.totalSegments(1000001).segment(0)),
                "Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000");
        validation(() -> scan(t, b -> b.totalSegments(2).segment(-1)),
                "Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0");
        // The bounds themselves are fine.
        ScanResponse last = scan(t, b -> b.totalSegments(1000000).segment(999999));
        assertThat(last.count()).isBetween(0, 20);
        assertThat(scan(t, b -> b.totalSegments(1).segment(0)).count()).isEqualTo(20);
    }

    @Test
    void exclusiveStartKeyFromAnotherSegmentIsRefused() {
        String t = tableOf(60);
        ScanResponse inOne = scan(t, b -> b.totalSegments(2).segment(1).limit(1));
        assertThat(inOne.hasLastEvaluatedKey()).isTrue();
        validation(() -> scan(t, b -> b.totalSegments(2).segment(0).exclusiveStartKey(inOne.lastEvaluatedKey())),
                "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0");
        validation(() -> scan(t, b -> b.exclusiveStartKey(item("pk", n("1")))),
                "The provided starting key is invalid");
        validation(() -> scan(t, b -> b.exclusiveStartKey(item("pk", s("k1"), "other", s("x")))),
                "The provided starting key is invalid");
    }

    @Test
    void pagesStopAfterCrossingOneMegabyte() {
        String t = table(false);
        String big = "y".repeat(300 * 1024);
        for (int i = 0; i < 5; i++) {
            int x = i;
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("k" + x), "data", s(big))));
        }
        ScanResponse first = scan(t, b -> { });
        assertThat(first.count()).isEqualTo(4);
        assertThat(first.scannedCount()).isEqualTo(4);
        assertThat(first.lastEvaluatedKey()).isEqualTo(item("pk", first.items().get(3).get("pk")));
        ScanResponse second = scan(t, b -> b.exclusiveStartKey(first.lastEvaluatedKey()));
        assertThat(second.count()).isEqualTo(1);
        assertThat(second.hasLastEvaluatedKey()).isFalse();
        Set<String> all = new HashSet<>(pks(first));
        all.addAll(pks(second));
        assertThat(all).isEqualTo(keys(5));
        // Before the filter: a filter that drops everything still stops the page at the same point.
        ScanResponse filtered = scan(t, b -> b.filterExpression("attribute_not_exists(#d)").expressionAttributeNames(Map.of("#d", "data")));
        assertThat(filtered.count()).isZero();
        assertThat(filtered.scannedCount()).isEqualTo(4);
        assertThat(filtered.hasLastEvaluatedKey()).isTrue();
    }

    @Test
    void missingTableIsResourceNotFound() {
        assertThatThrownBy(() -> scan("no-such-table-s", b -> { })).isInstanceOf(ResourceNotFoundException.class);
    }
}
