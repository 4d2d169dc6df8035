package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Identity;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.metronome.dynamodb.TableOperationsTest.validation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GetRecords and the records a stream holds, written from the DynamoDB Streams API Reference "GetRecords" (Limit up
 * to 1000, at most 1 MB of data or 1000 records a call; NextShardIterator, absent once a closed shard is read to
 * its end; ExpiredIteratorException 15 minutes after an iterator is returned; TrimmedDataAccessException for a
 * record trimmed before the iterator is used), "Record" (eventID, eventName INSERT/MODIFY/REMOVE, eventVersion,
 * eventSource aws:dynamodb, awsRegion, userIdentity of TTL deletions: type Service, principalId
 * dynamodb.amazonaws.com), "StreamRecord" (ApproximateCreationDateTime rounded down to the second, Keys, NewImage,
 * OldImage, SequenceNumber, SizeBytes, StreamViewType), and the Developer Guide "Change data capture for DynamoDB
 * Streams" (each item change makes exactly one record, in the order of the changes to that item; a PutItem or
 * UpdateItem that changes no data makes none) and "DynamoDB Streams and Time to Live" (TTL deletions are REMOVE
 * records with the service identity).
 */
class GetRecordsTest extends StreamsConformance {

    private static String putItem(String table, Map<String, AttributeValue> item) {
        dynamo.putItem(r -> r.tableName(table).item(item));
        return table;
    }

    // ---- the record

    @Test
    void aRecordHasDynamoDbsShape() {
        String t = streamTable(StreamViewType.KEYS_ONLY);
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        putItem(t, item("pk", s("a"), "sk", s("1"), "v", s("x")));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"), "sk", s("2"))));
        Instant after = Instant.now();

        List<Record> records = records(t);
        assertThat(records).hasSize(2);
        Record r = records.get(0);
        assertThat(r.eventID()).isNotBlank();
        assertThat(r.eventID()).isNotEqualTo(records.get(1).eventID());
        assertThat(r.eventNameAsString()).isEqualTo("INSERT");
        assertThat(r.eventVersion()).isEqualTo("1.1");
        assertThat(r.eventSource()).isEqualTo("aws:dynamodb");
        assertThat(r.awsRegion()).isNotBlank();
        assertThat(r.userIdentity()).isNull();
        StreamRecord d = r.dynamodb();
        assertThat(d.approximateCreationDateTime()).isBetween(before, after);
        assertThat(d.approximateCreationDateTime().getNano()).isZero();
        assertThat(d.keys()).isEqualTo(key("a", "1"));
        assertThat(d.newImage()).isEmpty();
        assertThat(d.oldImage()).isEmpty();
        assertThat(d.sequenceNumber()).matches("[0-9]{21,40}");
        assertThat(sequence(records.get(1))).isGreaterThan(sequence(r));
        assertThat(d.sizeBytes()).isEqualTo(6L); // "pk" "a" "sk" "1": the keys, as DynamoDB sizes them
        assertThat(d.streamViewType()).isEqualTo(StreamViewType.KEYS_ONLY);
    }

    @Test
    void eachViewTypeCarriesItsImages() {
        Map<String, AttributeValue> first = item("pk", s("a"), "sk", s("1"), "v", s("x"));
        Map<String, AttributeValue> updated = item("pk", s("a"), "sk", s("1"), "v", s("y"));
        Map<String, AttributeValue> replaced = item("pk", s("a"), "sk", s("1"), "w", s("zz"));
        for (StreamViewType type : List.of(StreamViewType.KEYS_ONLY, StreamViewType.NEW_IMAGE, StreamViewType.OLD_IMAGE,
                StreamViewType.NEW_AND_OLD_IMAGES)) {
            String t = putItem(streamTable(type), first);
            dynamo.updateItem(r -> r.tableName(t).key(key("a", "1")).updateExpression("SET v = :v")
                    .expressionAttributeValues(item(":v", s("y"))));
            putItem(t, replaced);
            dynamo.deleteItem(r -> r.tableName(t).key(key("a", "1")));

            List<Record> records = records(t);
            assertThat(eventNames(records)).as(type.toString()).containsExactly("INSERT", "MODIFY", "MODIFY", "REMOVE");
            List<Map<String, AttributeValue>> olds = List.of(Map.of(), first, updated, replaced);
            List<Map<String, AttributeValue>> news = List.of(first, updated, replaced, Map.of());
            boolean withOld = type == StreamViewType.OLD_IMAGE || type == StreamViewType.NEW_AND_OLD_IMAGES;
            boolean withNew = type == StreamViewType.NEW_IMAGE || type == StreamViewType.NEW_AND_OLD_IMAGES;
            for (int i = 0; i < 4; i++) {
                StreamRecord d = records.get(i).dynamodb();
                assertThat(d.streamViewType()).isEqualTo(type);
                assertThat(d.keys()).isEqualTo(key("a", "1"));
                assertThat(d.oldImage()).as(type + " old " + i).isEqualTo(withOld ? olds.get(i) : Map.of());
                assertThat(d.newImage()).as(type + " new " + i).isEqualTo(withNew ? news.get(i) : Map.of());
                // SizeBytes: the keys (6) and the images carried (8 for v "x" or "y", 9 for w "zz").
                long size = 6 + (withOld ? imageSize(olds.get(i)) : 0) + (withNew ? imageSize(news.get(i)) : 0);
                assertThat(d.sizeBytes()).as(type + " size " + i).isEqualTo(size);
            }
        }
    }

    /** The size of a small item of S values: the lengths of its names and strings. */
    private static long imageSize(Map<String, AttributeValue> item) {
        return item.entrySet().stream().mapToLong(e -> e.getKey().length() + e.getValue().s().length()).sum();
    }

    // ---- what makes a record

    @Test
    void everyKindOfWriteMakesOneRecordPerItemChanged() {
        String t = streamTable(StreamViewType.NEW_AND_OLD_IMAGES);
        dynamo.updateTimeToLive(r -> r.tableName(t).timeToLiveSpecification(s -> s.attributeName("exp").enabled(true)));
        putItem(t, item("pk", s("a"), "sk", s("1")));                                          // INSERT a
        dynamo.updateItem(r -> r.tableName(t).key(key("b", "1")).updateExpression("SET v = :v")
                .expressionAttributeValues(item(":v", s("1"))));                                // INSERT b
        dynamo.updateItem(r -> r.tableName(t).key(key("a", "1")).updateExpression("SET v = :v")
                .expressionAttributeValues(item(":v", s("1"))));                                // MODIFY a
        dynamo.deleteItem(r -> r.tableName(t).key(key("b", "1")));                              // REMOVE b
        dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, List.of(
                WriteRequest.builder().putRequest(p -> p.item(key("c", "1"))).build(),
                WriteRequest.builder().putRequest(p -> p.item(key("d", "1"))).build(),
                WriteRequest.builder().deleteRequest(x -> x.key(key("a", "1"))).build()))));     // INSERT c, d; REMOVE a
        dynamo.transactWriteItems(r -> r.transactItems(
                TransactWriteItem.builder().put(p -> p.tableName(t).item(key("e", "1"))).build(),
                TransactWriteItem.builder().update(u -> u.tableName(t).key(key("c", "1")).updateExpression("SET v = :v")
                        .expressionAttributeValues(item(":v", s("2")))).build(),
                TransactWriteItem.builder().delete(x -> x.tableName(t).key(key("d", "1"))).build(),
                TransactWriteItem.builder().conditionCheck(c -> c.tableName(t).key(key("z", "1"))
                        .conditionExpression("attribute_not_exists(pk)")).build()));            // INSERT e, MODIFY c, REMOVE d
        long past = Instant.now().getEpochSecond() - 60;
        putItem(t, item("pk", s("f"), "sk", s("1"), "exp", n(Long.toString(past))));          // INSERT f
        EMULATOR.deleteExpiredItems();                                                          // REMOVE f, by TTL

        List<Record> records = records(t);
        List<String> changes = records.stream().map(r -> r.eventNameAsString() + " " + r.dynamodb().keys().get("pk").s()).toList();
        assertThat(changes.subList(0, 4)).containsExactly("INSERT a", "INSERT b", "MODIFY a", "REMOVE b");
        assertThat(changes.subList(4, 7)).containsExactlyInAnyOrder("INSERT c", "INSERT d", "REMOVE a");
        assertThat(changes.subList(7, 10)).containsExactlyInAnyOrder("INSERT e", "MODIFY c", "REMOVE d");
        assertThat(changes.subList(10, 12)).containsExactly("INSERT f", "REMOVE f");
        for (int i = 1; i < records.size(); i++) {
            assertThat(sequence(records.get(i))).isGreaterThan(sequence(records.get(i - 1)));
        }
        // Only the deletion by TTL carries the service's identity.
        Record expired = records.get(11);
        assertThat(expired.userIdentity()).isEqualTo(Identity.builder().type("Service").principalId("dynamodb.amazonaws.com").build());
        assertThat(expired.dynamodb().oldImage()).containsEntry("exp", n(Long.toString(past)));
        assertThat(records.subList(0, 11)).allMatch(r -> r.userIdentity() == null);
    }

    @Test
    void aWriteThatChangesNothingMakesNoRecord() {
        String t = streamTable(StreamViewType.NEW_AND_OLD_IMAGES);
        Map<String, AttributeValue> a = item("pk", s("a"), "sk", s("1"), "v", s("x"),
                "l", AttributeValue.fromL(List.of(n("1"), s("2"))), "m", AttributeValue.fromM(item("k", n("1.50"))));
        putItem(t, a);                                                                          // INSERT
        putItem(t, item("m", AttributeValue.fromM(item("k", n("1.5"))), "l", AttributeValue.fromL(List.of(n("1"), s("2"))),
                "v", s("x"), "sk", s("1"), "pk", s("a")));                                      // the same item
        dynamo.updateItem(r -> r.tableName(t).key(key("a", "1")).updateExpression("SET v = :v")
                .expressionAttributeValues(item(":v", s("x"))));                                // the same value
        dynamo.updateItem(r -> r.tableName(t).key(key("a", "1")).updateExpression("SET v = if_not_exists(v, :v)")
                .expressionAttributeValues(item(":v", s("other"))));                            // kept as it was
        dynamo.updateItem(r -> r.tableName(t).key(key("a", "1")).updateExpression("REMOVE absentAttribute"));
        dynamo.deleteItem(r -> r.tableName(t).key(key("absent", "1")));                         // nothing to delete
        dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, List.of(
                WriteRequest.builder().deleteRequest(x -> x.key(key("absent", "2"))).build()))));
        assertThatThrownBy(() -> dynamo.updateItem(r -> r.tableName(t).key(key("a", "1")).updateExpression("SET v = :v")
                .conditionExpression("v = :other").expressionAttributeValues(item(":v", s("y"), ":other", s("no")))))
                .isInstanceOf(ConditionalCheckFailedException.class);
        assertThatThrownBy(() -> dynamo.transactWriteItems(r -> r.transactItems(
                TransactWriteItem.builder().put(p -> p.tableName(t).item(key("n", "1"))).build(),
                TransactWriteItem.builder().conditionCheck(c -> c.tableName(t).key(key("a", "1"))
                        .conditionExpression("attribute_not_exists(pk)")).build())))
                .isInstanceOf(TransactionCanceledException.class);
        dynamo.updateItem(r -> r.tableName(t).key(key("a", "1")).updateExpression("SET v = :v")
                .expressionAttributeValues(item(":v", s("y"))));                                // MODIFY
        dynamo.updateItem(r -> r.tableName(t).key(key("k", "1")));                              // INSERT: a key-only item

        List<Record> records = records(t);
        assertThat(eventNames(records)).containsExactly("INSERT", "MODIFY", "INSERT");
        assertThat(records.get(1).dynamodb().oldImage().get("v").s()).isEqualTo("x");
        assertThat(records.get(1).dynamodb().newImage().get("v").s()).isEqualTo("y");
        assertThat(records.get(2).dynamodb().newImage()).isEqualTo(key("k", "1"));
    }

    /**
     * Writers race on one counter each (a conditional update that retries when another won), as many engines move
     * a run's item: the records of each item show its counter in order, every step once, and the shard's sequence
     * numbers grow throughout.
     */
    @Test
    void eachItemsRecordsFollowItsChangesUnderConcurrentWriters() throws Exception {
        String t = streamTable(StreamViewType.NEW_AND_OLD_IMAGES);
        int steps = 150;
        List<String> counters = List.of("run-1", "run-2");
        for (String pk : counters) {
            putItem(t, item("pk", s(pk), "sk", s("run"), "n", n("0")));
        }
        int threads = 12;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger conflicts = new AtomicInteger();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                String pk = counters.get(w % counters.size());
                done.add(pool.submit(() -> {
                    go.await();
                    while (true) {
                        int now = Integer.parseInt(dynamo.getItem(r -> r.tableName(t).key(key(pk, "run")).consistentRead(true))
                                .item().get("n").n());
                        if (now >= steps) {
                            return null;
                        }
                        try {
                            dynamo.updateItem(r -> r.tableName(t).key(key(pk, "run")).updateExpression("SET n = :next")
                                    .conditionExpression("n = :now").expressionAttributeValues(
                                            item(":now", n(Integer.toString(now)), ":next", n(Integer.toString(now + 1)))));
                        } catch (ConditionalCheckFailedException lost) {
                            conflicts.incrementAndGet();
                        }
                    }
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        List<Record> records = records(t);
        assertThat(records).hasSize(counters.size() * (steps + 1));
        for (int i = 1; i < records.size(); i++) {
            assertThat(sequence(records.get(i))).isGreaterThan(sequence(records.get(i - 1)));
        }
        Map<String, List<Record>> byItem = new HashMap<>();
        records.forEach(r -> byItem.computeIfAbsent(r.dynamodb().keys().get("pk").s(), k -> new ArrayList<>()).add(r));
        for (String pk : counters) {
            List<Record> mine = byItem.get(pk);
            assertThat(mine.get(0).eventNameAsString()).isEqualTo("INSERT");
            for (int step = 1; step <= steps; step++) {
                StreamRecord d = mine.get(step).dynamodb();
                assertThat(d.oldImage().get("n").n()).as(pk + " step " + step).isEqualTo(Integer.toString(step - 1));
                assertThat(d.newImage().get("n").n()).as(pk + " step " + step).isEqualTo(Integer.toString(step));
            }
        }
        // The writers did race: some updates lost to another writer and made no record.
        assertThat(conflicts.get()).isPositive();
    }

    // ---- paging

    @Test
    void aCallReturnsAtMost1000RecordsOrTheLimit() {
        String t = streamTable(StreamViewType.KEYS_ONLY);
        for (int batch = 0; batch < 42; batch++) {
            List<WriteRequest> puts = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                String sk = batch + "-" + i;
                puts.add(WriteRequest.builder().putRequest(p -> p.item(key("a", sk))).build());
            }
            dynamo.batchWriteItem(r -> r.requestItems(Map.of(t, puts)));
        }
        String arn = streamArn(t);
        GetRecordsResponse first = streams.getRecords(r -> r.shardIterator(iterator(arn, ShardIteratorType.TRIM_HORIZON)));
        assertThat(first.records()).hasSize(1000);
        GetRecordsResponse second = streams.getRecords(r -> r.shardIterator(first.nextShardIterator()));
        assertThat(second.records()).hasSize(50);
        assertThat(sequence(second.records().get(0))).isGreaterThan(sequence(first.records().get(999)));
        GetRecordsResponse third = streams.getRecords(r -> r.shardIterator(second.nextShardIterator()));
        assertThat(third.records()).isEmpty();
        assertThat(third.nextShardIterator()).isNotNull();

        List<Integer> pages = new ArrayList<>();
        String next = iterator(arn, ShardIteratorType.TRIM_HORIZON);
        while (true) {
            String it = next;
            GetRecordsResponse page = streams.getRecords(r -> r.shardIterator(it).limit(400));
            if (page.records().isEmpty()) {
                break;
            }
            pages.add(page.records().size());
            next = page.nextShardIterator();
        }
        assertThat(pages).containsExactly(400, 400, 250);

        String it = iterator(arn, ShardIteratorType.TRIM_HORIZON);
        validation(() -> streams.getRecords(r -> r.shardIterator(it).limit(1001)), "Member must have value less than or equal to 1000");
        validation(() -> streams.getRecords(r -> r.shardIterator(it).limit(0)), "Member must have value greater than or equal to 1");
    }

    @Test
    void aCallReturnsAtMostOneMegabyteOfRecords() {
        String t = streamTable(StreamViewType.NEW_IMAGE);
        String big = "x".repeat(300 * 1024);
        for (int i = 0; i < 5; i++) {
            putItem(t, item("pk", s("a"), "sk", s(Integer.toString(i)), "data", s(big)));
        }
        List<List<Record>> pages = new ArrayList<>();
        String next = iterator(streamArn(t), ShardIteratorType.TRIM_HORIZON);
        while (true) {
            String it = next;
            GetRecordsResponse page = streams.getRecords(r -> r.shardIterator(it));
            if (page.records().isEmpty()) {
                break;
            }
            pages.add(page.records());
            next = page.nextShardIterator();
        }
        assertThat(pages).extracting(List::size).containsExactly(3, 2);
        for (List<Record> page : pages) {
            assertThat(page.stream().mapToLong(r -> r.dynamodb().sizeBytes()).sum()).isLessThanOrEqualTo(1024 * 1024);
        }
    }

    @Test
    void readingPastTheNewestRecordReturnsNoneAndANextIterator() {
        String t = putItem(streamTable(StreamViewType.KEYS_ONLY), key("a", "1"));
        GetRecordsResponse one = streams.getRecords(r -> r.shardIterator(iterator(streamArn(t), ShardIteratorType.TRIM_HORIZON)));
        assertThat(one.records()).hasSize(1);
        GetRecordsResponse none = streams.getRecords(r -> r.shardIterator(one.nextShardIterator()));
        assertThat(none.records()).isEmpty();
        assertThat(none.nextShardIterator()).isNotNull();
        putItem(t, key("a", "2"));
        assertThat(streams.getRecords(r -> r.shardIterator(none.nextShardIterator())).records())
                .singleElement().satisfies(r -> assertThat(r.dynamodb().keys()).isEqualTo(key("a", "2")));
    }

    @Test
    void aClosedShardIsReadToItsEndThenHasNoNextIterator() {
        String t = putItem(streamTable(StreamViewType.KEYS_ONLY), key("a", "1"));
        putItem(t, key("a", "2"));
        String arn = streamArn(t);
        String fromStart = iterator(arn, ShardIteratorType.TRIM_HORIZON);
        dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(false)));

        GetRecordsResponse first = streams.getRecords(r -> r.shardIterator(fromStart).limit(1));
        assertThat(first.records()).hasSize(1);
        assertThat(first.nextShardIterator()).isNotNull();
        GetRecordsResponse last = streams.getRecords(r -> r.shardIterator(first.nextShardIterator()));
        assertThat(last.records()).singleElement().satisfies(r -> assertThat(r.dynamodb().keys()).isEqualTo(key("a", "2")));
        assertThat(last.nextShardIterator()).isNull();
    }

    // ---- iterators that can no longer be used

    @Test
    void refusesAnIteratorItDidNotIssue() {
        String t = putItem(streamTable(StreamViewType.KEYS_ONLY), key("a", "1"));
        String it = iterator(streamArn(t), ShardIteratorType.TRIM_HORIZON);
        validation(() -> streams.getRecords(r -> r.shardIterator("sdfsdfsgagaddafgagasgasgasdfasdfasdf")), "Invalid ShardIterator");
        String tampered = it.substring(0, it.length() - 2) + (it.endsWith("A") ? "BB" : "AA");
        validation(() -> streams.getRecords(r -> r.shardIterator(tampered)), "Invalid ShardIterator");
        validation(() -> streams.getRecords(r -> r.shardIterator("")), "Member must have length greater than or equal to 1");
        assertThat(streams.getRecords(r -> r.shardIterator(it)).records()).hasSize(1);
    }

    /** A second emulator, on a clock the test moves, with a table "runs" keyed by pk and a KEYS_ONLY stream. */
    private record Timed(DynamoDbEmulator emulator, DynamoDbClient client, DynamoDbStreamsClient streams,
                         TableOperationsTest.MovableClock clock, String arn) implements AutoCloseable {
        static Timed start(Instant at, DynamoDbEmulator.Builder builder) {
            TableOperationsTest.MovableClock clock = new TableOperationsTest.MovableClock(at);
            DynamoDbEmulator e = builder.clock(clock).ttlSweepInterval(Duration.ofHours(1)).build();
            DynamoDbClient c = Conformance.client(e.endpoint());
            c.createTable(r -> r.tableName("runs").billingMode("PAY_PER_REQUEST")
                    .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                    .keySchema(k -> k.attributeName("pk").keyType("HASH"))
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.KEYS_ONLY)));
            return new Timed(e, c, Conformance.streamsClient(e.endpoint()), clock, streamArn(c, "runs"));
        }

        void put(String pk) {
            client.putItem(r -> r.tableName("runs").item(item("pk", s(pk))));
        }

        @Override
        public void close() {
            streams.close();
            client.close();
            emulator.close();
        }
    }

    @Test
    void anIteratorExpires15MinutesAfterItIsReturned() {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        try (Timed e = Timed.start(start, DynamoDbEmulator.builder())) {
            e.put("a");
            String it = iterator(e.streams, e.arn, ShardIteratorType.TRIM_HORIZON);
            e.clock.now = start.plus(Duration.ofMinutes(14));
            GetRecordsResponse read = e.streams.getRecords(r -> r.shardIterator(it));
            assertThat(read.records()).hasSize(1);

            e.clock.now = start.plus(Duration.ofMinutes(15)).plusSeconds(1);
            assertThatThrownBy(() -> e.streams.getRecords(r -> r.shardIterator(it)))
                    .isInstanceOf(ExpiredIteratorException.class);
            // A next iterator is returned anew: its 15 minutes run from then.
            e.put("b");
            assertThat(e.streams.getRecords(r -> r.shardIterator(read.nextShardIterator())).records()).hasSize(1);
        }
    }

    @Test
    void aRecordTrimmedBeforeTheIteratorIsUsedIsTrimmedData() {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        try (Timed e = Timed.start(start, DynamoDbEmulator.builder())) {
            e.put("a");
            e.clock.now = start.plus(Duration.ofHours(23)).plus(Duration.ofMinutes(59));
            e.put("b");
            String it = iterator(e.streams, e.arn, ShardIteratorType.TRIM_HORIZON); // points at "a"
            e.clock.now = start.plus(Duration.ofHours(24)).plus(Duration.ofMinutes(1));
            assertThatThrownBy(() -> e.streams.getRecords(r -> r.shardIterator(it)))
                    .isInstanceOf(TrimmedDataAccessException.class);
            List<Record> kept = readAll(e.streams, iterator(e.streams, e.arn, ShardIteratorType.TRIM_HORIZON));
            assertThat(kept).singleElement().satisfies(r -> assertThat(r.dynamodb().keys().get("pk").s()).isEqualTo("b"));
        }
    }

    @Test
    void aStreamOverItsMemoryBudgetTrimsItsOldestRecords() {
        // Each record: keys "pk" + "r00".."r49" (5 bytes) plus 100 of overhead, so 1,050 bytes keep ten of them.
        try (Timed e = Timed.start(Instant.parse("2030-01-01T00:00:00Z"), DynamoDbEmulator.builder().maxStreamBytes(1050))) {
            for (int i = 0; i < 50; i++) {
                e.put(String.format("r%02d", i));
            }
            List<Record> kept = readAll(e.streams, iterator(e.streams, e.arn, ShardIteratorType.TRIM_HORIZON));
            assertThat(kept).extracting(r -> r.dynamodb().keys().get("pk").s())
                    .containsExactly("r40", "r41", "r42", "r43", "r44", "r45", "r46", "r47", "r48", "r49");
            String start = e.streams.describeStream(r -> r.streamArn(e.arn)).streamDescription().shards().get(0)
                    .sequenceNumberRange().startingSequenceNumber();
            assertThatThrownBy(() -> iterator(e.streams, e.arn, ShardIteratorType.AT_SEQUENCE_NUMBER, start))
                    .isInstanceOf(TrimmedDataAccessException.class);
            assertThat(new BigInteger(kept.get(0).dynamodb().sequenceNumber())).isGreaterThan(new BigInteger(start));
        }
    }
}
