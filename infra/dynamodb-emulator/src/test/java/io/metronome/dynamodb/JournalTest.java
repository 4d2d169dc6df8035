package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The data directory's own mechanics, beyond what PersistenceTest covers from DynamoDB's contract: a snapshot
 * that replaced the journal's content while the old journal was still on the disk (a crash between the rename
 * and the delete), compaction of a long journal, and one emulator per directory.
 */
class JournalTest extends Conformance {

    private static void create(DynamoDbClient c, String name) {
        c.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH)));
    }

    @Test
    void aJournalLeftBehindByACrashDuringASnapshotIsNotReplayedAgain(@TempDir Path dir) throws Exception {
        try (DynamoDbEmulator e = DynamoDbEmulator.builder().dataDir(dir).build()) {
            DynamoDbClient c = client(e.endpoint());
            create(c, "gone");
            c.putItem(r -> r.tableName("gone").item(item("pk", s("a"))));
            c.deleteTable(r -> r.tableName("gone"));
            create(c, "kept");
            c.putItem(r -> r.tableName("kept").item(item("pk", s("k"), "v", n("1"))));
            c.updateItem(r -> r.tableName("kept").key(item("pk", s("k"))).updateExpression("ADD v :one")
                    .expressionAttributeValues(item(":one", n("1"))));
        }
        Path oldJournal = dir.resolveSibling(dir.getFileName() + "-journal");
        Files.copy(dir.resolve("journal.jsonl"), oldJournal);
        // The next start folds the journal into a snapshot and deletes it; put it back as a crash would leave it.
        try (DynamoDbEmulator e = DynamoDbEmulator.builder().dataDir(dir).build()) {
            assertThat(Files.exists(dir.resolve("journal.jsonl"))).isFalse();
        }
        Files.copy(oldJournal, dir.resolve("journal.jsonl"), StandardCopyOption.REPLACE_EXISTING);
        try (DynamoDbEmulator e = DynamoDbEmulator.builder().dataDir(dir).build()) {
            DynamoDbClient c = client(e.endpoint());
            assertThat(c.listTables().tableNames()).containsExactly("kept");
            assertThat(c.getItem(r -> r.tableName("kept").key(item("pk", s("k")))).item().get("v").n())
                    .as("the ADD is not applied a second time").isEqualTo("2");
        }
    }

    @Test
    void aLongJournalIsFoldedIntoTheSnapshotAndNothingIsLost(@TempDir Path dir) {
        try (DynamoDbEmulator e = DynamoDbEmulator.builder().dataDir(dir).compactAfterBytes(4096).build()) {
            DynamoDbClient c = client(e.endpoint());
            create(c, "items");
            for (int i = 0; i < 500; i++) {
                int x = i;
                c.putItem(r -> r.tableName("items").item(item("pk", s("item-" + x), "payload", s("p".repeat(100)))));
            }
            c.updateItem(r -> r.tableName("items").key(item("pk", s("item-7"))).updateExpression("REMOVE payload"));
        }
        try (DynamoDbEmulator e = DynamoDbEmulator.builder().dataDir(dir).build()) {
            DynamoDbClient c = client(e.endpoint());
            assertThat(c.scan(r -> r.tableName("items").select("COUNT")).count()).isEqualTo(500);
            assertThat(c.getItem(r -> r.tableName("items").key(item("pk", s("item-7")))).item()).doesNotContainKey("payload");
            assertThat(c.getItem(r -> r.tableName("items").key(item("pk", s("item-499")))).item()).containsKey("payload");
        }
    }

    @Test
    void aDirectoryInUseIsRefusedToASecondEmulator(@TempDir Path dir) {
        try (DynamoDbEmulator first = DynamoDbEmulator.builder().dataDir(dir).build()) {
            assertThatThrownBy(() -> DynamoDbEmulator.builder().dataDir(dir).build())
                    .hasMessageContaining("in use by another DynamoDB emulator");
        }
        DynamoDbEmulator.builder().dataDir(dir).build().close();
    }

    @Test
    void aStringThatIsNotUnicodeIsRefusedAndNeverStoredAltered(@TempDir Path dir) throws Exception {
        String table = table(false);
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(EMULATOR.endpoint())
                        .header("X-Amz-Target", "DynamoDB_20120810.PutItem")
                        .header("Content-Type", "application/x-amz-json-1.0")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"TableName\":\"" + table
                                + "\",\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"S\":\"x\\ud800y\"}}}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("ValidationException").contains("unpaired UTF-16 surrogate");
        assertThat(dynamo.getItem(g -> g.tableName(table).key(item("pk", s("a")))).hasItem()).isFalse();
    }
}
