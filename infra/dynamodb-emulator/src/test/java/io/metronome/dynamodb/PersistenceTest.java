package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.LocalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.LocalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveDescription;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamDescription;
import software.amazon.awssdk.services.dynamodb.model.StreamStatus;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Durability of a data directory. DynamoDB's contract is that an acknowledged write is durable ("DynamoDB ...
 * writes are durable", Developer Guide HowItWorks.ReadConsistency / Introduction: data is stored on SSDs and
 * replicated) and that a transaction's writes are all-or-nothing (transaction-apis.md); the emulator's equivalent is
 * its data directory: what was acknowledged survives close(), a restart and a crash (SIGKILL), and a transaction's
 * writes survive together. Tables, indexes and TTL settings (DescribeTable, DescribeTimeToLive) survive too, and so
 * do streams and their records (kept 24 hours in DynamoDB, whatever happens to the service meanwhile): a consumer that
 * had not read them yet reads them after a restart, with the iterator it held.
 */
class PersistenceTest extends Conformance {

    private static final String MAIN = "io.metronome.dynamodb.DynamoDbEmulator";

    private static DynamoDbEmulator open(Path dir) {
        return DynamoDbEmulator.builder().dataDir(dir).build();
    }

    private static void createSimple(DynamoDbClient c, String name) {
        c.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build())
                .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build()));
    }

    private static Map<String, AttributeValue> get(DynamoDbClient c, String table, String pk) {
        return c.getItem(r -> r.tableName(table).key(item("pk", s(pk))).consistentRead(true)).item();
    }

    private static long size(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }

    /** A copy of a live data directory: what a crash at this instant would leave on disk. */
    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }

    @Test
    void tablesItemsIndexesAndTtlSurviveARestart(@TempDir Path dir) {
        TableDescription before;
        TimeToLiveDescription ttlBefore;
        try (DynamoDbEmulator e = open(dir)) {
            DynamoDbClient c = client(e.endpoint());
            c.createTable(r -> r.tableName("orders").billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(
                            AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build(),
                            AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.N).build(),
                            AttributeDefinition.builder().attributeName("gk").attributeType(ScalarAttributeType.S).build(),
                            AttributeDefinition.builder().attributeName("lk").attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                            KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())
                    .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("byGk")
                            .keySchema(KeySchemaElement.builder().attributeName("gk").keyType(KeyType.HASH).build())
                            .projection(p -> p.projectionType(ProjectionType.INCLUDE).nonKeyAttributes("v")).build())
                    .localSecondaryIndexes(LocalSecondaryIndex.builder().indexName("byLk")
                            .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                                    KeySchemaElement.builder().attributeName("lk").keyType(KeyType.RANGE).build())
                            .projection(p -> p.projectionType(ProjectionType.KEYS_ONLY)).build()));
            createSimple(c, "plain");
            createSimple(c, "dropped");
            c.updateTimeToLive(r -> r.tableName("orders").timeToLiveSpecification(s -> s.attributeName("expires").enabled(true)));
            for (int i = 0; i < 20; i++) {
                String sk = Integer.toString(i);
                String gk = i % 2 == 0 ? "even" : "odd";
                c.putItem(r -> r.tableName("orders").item(item("pk", s("p"), "sk", n(sk), "gk", s(gk),
                        "lk", s("l" + sk), "v", s("v" + sk), "other", AttributeValue.fromL(List.of(n(sk), s("x"))))));
            }
            c.putItem(r -> r.tableName("plain").item(item("pk", s("a"), "v", AttributeValue.fromM(item("nested", AttributeValue.fromBool(true))))));
            c.putItem(r -> r.tableName("plain").item(item("pk", s("gone"))));
            c.deleteItem(r -> r.tableName("plain").key(item("pk", s("gone"))));
            c.updateItem(r -> r.tableName("orders").key(item("pk", s("p"), "sk", n("3"))).updateExpression("SET v = :v REMOVE #o")
                    .expressionAttributeNames(Map.of("#o", "other")).expressionAttributeValues(item(":v", s("changed"))));
            c.deleteTable(r -> r.tableName("dropped"));
            before = c.describeTable(r -> r.tableName("orders")).table();
            ttlBefore = c.describeTimeToLive(r -> r.tableName("orders")).timeToLiveDescription();
        }

        try (DynamoDbEmulator e = open(dir)) {
            DynamoDbClient c = client(e.endpoint());
            assertThat(c.listTables().tableNames()).containsExactlyInAnyOrder("orders", "plain");

            TableDescription after = c.describeTable(r -> r.tableName("orders")).table();
            assertThat(after.keySchema()).isEqualTo(before.keySchema());
            assertThat(after.attributeDefinitions()).containsExactlyInAnyOrderElementsOf(before.attributeDefinitions());
            assertThat(after.tableArn()).isEqualTo(before.tableArn());
            assertThat(after.creationDateTime()).isEqualTo(before.creationDateTime());
            assertThat(after.billingModeSummary().billingMode()).isEqualTo(BillingMode.PAY_PER_REQUEST);
            GlobalSecondaryIndexDescription gsi = after.globalSecondaryIndexes().get(0);
            assertThat(after.globalSecondaryIndexes()).hasSize(1);
            assertThat(gsi.indexName()).isEqualTo("byGk");
            assertThat(gsi.keySchema()).extracting(KeySchemaElement::attributeName).containsExactly("gk");
            assertThat(gsi.projection().projectionType()).isEqualTo(ProjectionType.INCLUDE);
            assertThat(gsi.projection().nonKeyAttributes()).containsExactly("v");
            LocalSecondaryIndexDescription lsi = after.localSecondaryIndexes().get(0);
            assertThat(lsi.indexName()).isEqualTo("byLk");
            assertThat(lsi.keySchema()).extracting(KeySchemaElement::attributeName).containsExactly("pk", "lk");
            assertThat(lsi.projection().projectionType()).isEqualTo(ProjectionType.KEYS_ONLY);

            TimeToLiveDescription ttl = c.describeTimeToLive(r -> r.tableName("orders")).timeToLiveDescription();
            assertThat(ttl.attributeName()).isEqualTo("expires");
            assertThat(ttl.timeToLiveStatus()).isIn(TimeToLiveStatus.ENABLED, TimeToLiveStatus.ENABLING);
            assertThat(ttl.timeToLiveStatus()).isEqualTo(ttlBefore.timeToLiveStatus());

            // items, through the table and both indexes
            assertThat(c.query(r -> r.tableName("orders").keyConditionExpression("pk = :p")
                    .expressionAttributeValues(item(":p", s("p"))).consistentRead(true)).count()).isEqualTo(20);
            assertThat(c.getItem(r -> r.tableName("orders").key(item("pk", s("p"), "sk", n("7"))).consistentRead(true)).item())
                    .isEqualTo(item("pk", s("p"), "sk", n("7"), "gk", s("odd"), "lk", s("l7"), "v", s("v7"),
                            "other", AttributeValue.fromL(List.of(n("7"), s("x")))));
            assertThat(c.getItem(r -> r.tableName("orders").key(item("pk", s("p"), "sk", n("3"))).consistentRead(true)).item())
                    .isEqualTo(item("pk", s("p"), "sk", n("3"), "gk", s("odd"), "lk", s("l3"), "v", s("changed")));
            var even = c.query(r -> r.tableName("orders").indexName("byGk").keyConditionExpression("gk = :g")
                    .expressionAttributeValues(item(":g", s("even"))));
            assertThat(even.count()).isEqualTo(10);
            assertThat(even.items().get(0)).containsOnlyKeys("pk", "sk", "gk", "v");
            assertThat(c.query(r -> r.tableName("orders").indexName("byLk").keyConditionExpression("pk = :p AND lk = :l")
                    .expressionAttributeValues(item(":p", s("p"), ":l", s("l12")))).items())
                    .containsExactly(item("pk", s("p"), "sk", n("12"), "lk", s("l12")));
            assertThat(get(c, "plain", "a")).isEqualTo(item("pk", s("a"), "v", AttributeValue.fromM(item("nested", AttributeValue.fromBool(true)))));
            assertThat(get(c, "plain", "gone")).isEmpty();

            // and the reopened directory keeps taking writes that survive the next restart
            c.putItem(r -> r.tableName("plain").item(item("pk", s("second-life"))));
        }
        try (DynamoDbEmulator e = open(dir)) {
            DynamoDbClient c = client(e.endpoint());
            assertThat(get(c, "plain", "second-life")).isNotEmpty();
            assertThat(get(c, "plain", "a")).isNotEmpty();
            assertThat(c.describeTable(r -> r.tableName("orders")).table().globalSecondaryIndexes()).hasSize(1);
        }
    }

    private static void createStreamed(DynamoDbClient c, String name, StreamViewType type) {
        c.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build())
                .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build())
                .streamSpecification(x -> x.streamEnabled(true).streamViewType(type)));
    }

    private static String arn(DynamoDbClient c, String table) {
        return c.describeTable(r -> r.tableName(table)).table().latestStreamArn();
    }

    private static StreamDescription describe(DynamoDbStreamsClient s, String arn) {
        return s.describeStream(r -> r.streamArn(arn)).streamDescription();
    }

    private static List<Record> all(DynamoDbStreamsClient s, String arn) {
        return StreamsConformance.readAll(s, StreamsConformance.iterator(s, arn, ShardIteratorType.TRIM_HORIZON));
    }

    @Test
    void streamsAndTheirRecordsSurviveRestarts(@TempDir Path dir) {
        List<Record> before;
        String unread;
        String runs;
        String old;
        String gone;
        StreamDescription oldBefore;
        StreamDescription goneBefore;
        try (DynamoDbEmulator e = open(dir)) {
            DynamoDbClient c = client(e.endpoint());
            DynamoDbStreamsClient st = streamsClient(e.endpoint());
            createStreamed(c, "runs", StreamViewType.NEW_AND_OLD_IMAGES);
            c.updateTimeToLive(r -> r.tableName("runs").timeToLiveSpecification(x -> x.attributeName("exp").enabled(true)));
            c.putItem(r -> r.tableName("runs").item(item("pk", s("a"), "n", n("1"))));
            c.updateItem(r -> r.tableName("runs").key(item("pk", s("a"))).updateExpression("SET n = :n")
                    .expressionAttributeValues(item(":n", n("2"))));
            c.putItem(r -> r.tableName("runs").item(item("pk", s("b"))));
            c.putItem(r -> r.tableName("runs").item(item("pk", s("b")))); // changes nothing: no record
            c.deleteItem(r -> r.tableName("runs").key(item("pk", s("b"))));
            c.batchWriteItem(r -> r.requestItems(Map.of("runs", List.of(
                    WriteRequest.builder().putRequest(p -> p.item(item("pk", s("c")))).build(),
                    WriteRequest.builder().putRequest(p -> p.item(item("pk", s("d")))).build()))));
            c.transactWriteItems(r -> r.transactItems(
                    TransactWriteItem.builder().delete(d -> d.tableName("runs").key(item("pk", s("c")))).build(),
                    TransactWriteItem.builder().put(p -> p.tableName("runs").item(item("pk", s("e"), "exp", n(Long.toString(java.time.Instant.now().getEpochSecond() - 60))))).build()));
            e.deleteExpiredItems();
            runs = arn(c, "runs");
            before = all(st, runs);
            assertThat(before).hasSize(9);
            assertThat(before.get(8).userIdentity()).isNotNull();
            // A consumer that has read three records and holds its next iterator.
            GetRecordsResponse three = st.getRecords(r -> r.shardIterator(
                    StreamsConformance.iterator(st, runs, ShardIteratorType.TRIM_HORIZON)).limit(3));
            unread = three.nextShardIterator();

            createStreamed(c, "old", StreamViewType.KEYS_ONLY);
            c.putItem(r -> r.tableName("old").item(item("pk", s("x"))));
            old = arn(c, "old");
            c.updateTable(r -> r.tableName("old").streamSpecification(x -> x.streamEnabled(false)));
            oldBefore = describe(st, old);
            createStreamed(c, "gone", StreamViewType.NEW_IMAGE);
            c.putItem(r -> r.tableName("gone").item(item("pk", s("y"))));
            gone = arn(c, "gone");
            c.deleteTable(r -> r.tableName("gone"));
            goneBefore = describe(st, gone);
        }

        Record added;
        // The first restart replays the journal; the second reads the snapshot the first one wrote.
        for (int restart = 1; restart <= 2; restart++) {
            try (DynamoDbEmulator e = open(dir)) {
                DynamoDbClient c = client(e.endpoint());
                DynamoDbStreamsClient st = streamsClient(e.endpoint());
                List<Record> now = all(st, runs);
                assertThat(now.subList(0, 9)).as("restart %d", restart).isEqualTo(before);
                assertThat(StreamsConformance.readAll(st, unread)).as("restart %d", restart).isEqualTo(now.subList(3, now.size()));
                assertThat(describe(st, runs).streamStatus()).isEqualTo(StreamStatus.ENABLED);
                assertThat(describe(st, old)).isEqualTo(oldBefore);
                assertThat(describe(st, gone)).isEqualTo(goneBefore);
                assertThat(all(st, old)).hasSize(1);
                assertThat(all(st, gone)).singleElement().satisfies(r -> assertThat(r.dynamodb().newImage()).isEqualTo(item("pk", s("y"))));
                assertThat(st.listStreams().streams()).extracting(x -> x.streamArn()).containsExactlyInAnyOrder(runs, old, gone);
                assertThat(arn(c, "runs")).isEqualTo(runs);
                assertThat(c.describeTable(r -> r.tableName("old")).table().streamSpecification()).isNull();
                assertThat(arn(c, "old")).isEqualTo(old);
                if (restart == 1) {
                    // The stream goes on, its sequence numbers past every one before the restart.
                    c.putItem(r -> r.tableName("runs").item(item("pk", s("after"))));
                    List<Record> more = all(st, runs);
                    assertThat(more).hasSize(10);
                    added = more.get(9);
                    assertThat(StreamsConformance.sequence(added)).isGreaterThan(StreamsConformance.sequence(before.get(8)));
                } else {
                    assertThat(now).hasSize(10);
                }
            }
        }
    }

    private static List<TransactWriteItem> threeWrites() {
        return List.of(
                TransactWriteItem.builder().put(p -> p.tableName("tab1").item(item("pk", s("tx-new"), "v", s("1")))).build(),
                TransactWriteItem.builder().update(u -> u.tableName("tab2").key(item("pk", s("counter")))
                        .updateExpression("ADD c :one").expressionAttributeValues(item(":one", n("1")))).build(),
                TransactWriteItem.builder().delete(d -> d.tableName("tab1").key(item("pk", s("tx-old")))).build());
    }

    @Test
    void aTransactionsWritesSurviveTogether(@TempDir Path dir) throws IOException {
        Path live = dir.resolve("live");
        Path crashedAfter = dir.resolve("crashed-after");
        Path crashedDuring = dir.resolve("crashed-during");
        try (DynamoDbEmulator e = open(live)) {
            DynamoDbClient c = client(e.endpoint());
            createSimple(c, "tab1");
            createSimple(c, "tab2");
            c.putItem(r -> r.tableName("tab1").item(item("pk", s("tx-old"))));
            c.putItem(r -> r.tableName("tab2").item(item("pk", s("counter"), "c", n("10"))));
            long beforeTx = size(live.resolve("journal.jsonl"));
            c.transactWriteItems(r -> r.transactItems(threeWrites()));
            long afterTx = size(live.resolve("journal.jsonl"));
            copyDir(live, crashedAfter);
            copyDir(live, crashedDuring);
            // A crash in the middle of writing the transaction to the journal.
            assertThat(afterTx).isGreaterThan(beforeTx);
            try (var ch = java.nio.channels.FileChannel.open(crashedDuring.resolve("journal.jsonl"), StandardOpenOption.WRITE)) {
                ch.truncate(beforeTx + (afterTx - beforeTx) / 2);
            }
        }

        for (Path d : List.of(live, crashedAfter)) {
            try (DynamoDbEmulator e = open(d)) {
                DynamoDbClient c = client(e.endpoint());
                assertThat(get(c, "tab1", "tx-new")).as(d.toString()).isEqualTo(item("pk", s("tx-new"), "v", s("1")));
                assertThat(get(c, "tab2", "counter")).as(d.toString()).containsEntry("c", n("11"));
                assertThat(get(c, "tab1", "tx-old")).as(d.toString()).isEmpty();
            }
        }
        // Torn in the middle: none of the three, and what came before is intact.
        try (DynamoDbEmulator e = open(crashedDuring)) {
            DynamoDbClient c = client(e.endpoint());
            assertThat(get(c, "tab1", "tx-new")).isEmpty();
            assertThat(get(c, "tab2", "counter")).containsEntry("c", n("10"));
            assertThat(get(c, "tab1", "tx-old")).isEqualTo(item("pk", s("tx-old")));
        }
    }

    @Test
    void aTornLastJournalLineIsIgnoredAndEarlierRecordsKept(@TempDir Path dir) throws IOException {
        Path live = dir.resolve("live");
        Path appended = dir.resolve("appended");
        Path truncated = dir.resolve("truncated");
        byte[] lastRecord;
        try (DynamoDbEmulator e = open(live)) {
            DynamoDbClient c = client(e.endpoint());
            createSimple(c, "tab");
            for (int i = 0; i < 5; i++) {
                String pk = "i" + i;
                c.putItem(r -> r.tableName("tab").item(item("pk", s(pk), "v", n("1"))));
            }
            copyDir(live, appended);
            Path journal = live.resolve("journal.jsonl");
            long before = size(journal);
            c.putItem(r -> r.tableName("tab").item(item("pk", s("i5"), "v", n("1"))));
            byte[] all = Files.readAllBytes(journal);
            lastRecord = Arrays.copyOfRange(all, (int) before, all.length);
            copyDir(live, truncated);
        }
        assertThat(lastRecord).isNotEmpty();

        // Half of the next record appended by hand to a journal that ends after i4.
        Files.write(appended.resolve("journal.jsonl"), Arrays.copyOf(lastRecord, lastRecord.length / 2),
                StandardOpenOption.APPEND);
        // The last record (i5) cut in half where it lies.
        long full = size(truncated.resolve("journal.jsonl"));
        try (var ch = java.nio.channels.FileChannel.open(truncated.resolve("journal.jsonl"), StandardOpenOption.WRITE)) {
            ch.truncate(full - lastRecord.length + lastRecord.length / 2);
        }

        for (Path d : List.of(appended, truncated)) {
            try (DynamoDbEmulator e = open(d)) {
                DynamoDbClient c = client(e.endpoint());
                for (int i = 0; i < 5; i++) {
                    assertThat(get(c, "tab", "i" + i)).as("%s i%d", d, i).isEqualTo(item("pk", s("i" + i), "v", n("1")));
                }
                assertThat(get(c, "tab", "i5")).as(d.toString()).isEmpty();
                // writing after the recovery, then restarting, keeps everything
                c.putItem(r -> r.tableName("tab").item(item("pk", s("after"), "v", n("2"))));
            }
            try (DynamoDbEmulator e = open(d)) {
                DynamoDbClient c = client(e.endpoint());
                assertThat(get(c, "tab", "after")).as(d.toString()).isEqualTo(item("pk", s("after"), "v", n("2")));
                assertThat(get(c, "tab", "i4")).as(d.toString()).isNotEmpty();
            }
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesKillDashNine(@TempDir Path dir) throws Exception {
        // Port 0: the child takes a free port itself and says which (no window for another process to take it).
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                MAIN, "--port", "0", "--data-dir", dir.toString())
                .redirectErrorStream(true).start();
        StringBuffer output = new StringBuffer();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread drain = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.append(line).append('\n');
                    if (line.contains("DynamoDB emulator on")) {
                        ready.complete(line);
                    }
                }
            } catch (IOException ignored) {
                // the child was killed
            }
            ready.complete(null);
        }, "child-emulator-output");
        drain.setDaemon(true);
        drain.start();

        int n = 300;
        List<String> acknowledged = new ArrayList<>();
        try {
            String line;
            try {
                line = ready.get(2, TimeUnit.MINUTES);
            } catch (TimeoutException e) {
                line = null;
            }
            if (line == null) {
                fail("the child emulator did not start:\n" + output);
            }
            DynamoDbClient c = client(URI.create(line.replaceAll(".*DynamoDB emulator on (\\S+).*", "$1")));
            createSimple(c, "tab");
            createSimple(c, "tab2");
            for (int i = 0; i < n; i++) {
                String pk = "k" + i;
                c.putItem(r -> r.tableName("tab").item(item("pk", s(pk), "i", n(pk.substring(1)))));
                acknowledged.add(pk);   // putItem returned: acknowledged
            }
            c.updateItem(r -> r.tableName("tab").key(item("pk", s("k1"))).updateExpression("SET i = :x")
                    .expressionAttributeValues(item(":x", n("-1"))));
            c.deleteItem(r -> r.tableName("tab").key(item("pk", s("k2"))));
            c.transactWriteItems(r -> r.transactItems(
                    TransactWriteItem.builder().put(p -> p.tableName("tab2").item(item("pk", s("x")))).build(),
                    TransactWriteItem.builder().delete(d -> d.tableName("tab").key(item("pk", s("k3")))).build()));
            c.putItem(r -> r.tableName("tab").item(item("pk", s("last"))));
        } finally {
            child.destroyForcibly();   // SIGKILL: no shutdown hook, no close()
            assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();
        }
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);

        try (DynamoDbEmulator e = open(dir)) {
            DynamoDbClient c = client(e.endpoint());
            for (String pk : acknowledged) {
                Map<String, AttributeValue> got = get(c, "tab", pk);
                switch (pk) {
                    case "k1" -> assertThat(got).isEqualTo(item("pk", s("k1"), "i", n("-1")));
                    case "k2", "k3" -> assertThat(got).as(pk).isEmpty();
                    default -> assertThat(got).as(pk).isEqualTo(item("pk", s(pk), "i", n(pk.substring(1))));
                }
            }
            assertThat(get(c, "tab2", "x")).isNotEmpty();
            assertThat(get(c, "tab", "last")).isNotEmpty();
            assertThat(c.scan(r -> r.tableName("tab").consistentRead(true)).count()).isEqualTo(n - 2 + 1);
        }
    }
}
