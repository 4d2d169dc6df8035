package io.metronome.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.store.ApiKeyRepository;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import io.metronome.emulators.LocalEmulators;
import io.metronome.local.LocalClients;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ./metronome keys} against the local stack, and what the HTTP API then makes of the keys. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeysCommandTest {
    private Path data;
    private CommandLineStack local;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        data = dir;
        local = new CommandLineStack(data);
    }

    @AfterAll
    void stop() {
        local.close();
    }

    @Test
    void aCreatedKeyAuthenticatesIsListedWithoutItsSecretAndOnceRevokedIsRefused() {
        CommandLineStack.Result created = local.local("keys", "create", "--user", "ann", "--name", "ci pipeline");
        assertThat(created.status()).as(created.err()).isZero();
        String key = created.out().trim();
        assertThat(created.out()).as("the key alone on standard output").matches("mk_[0-9a-f]{48}\n");
        assertThat(created.err()).contains("only time it is shown").doesNotContain(key);
        assertThat(local.call("GET", "/v1/metronomes", key, null).status()).isEqualTo(200);

        // What is stored: the hash, never the key.
        List<Map<String, AttributeValue>> items = scanApiKeys();
        assertThat(items.toString()).doesNotContain(key).contains(ApiKeyRepository.hash(key));

        CommandLineStack.Result listed = local.local("keys", "list", "--user", "ann", "--json");
        assertThat(listed.status()).as(listed.err()).isZero();
        assertThat(listed.lines()).hasSize(1);
        JsonNode line = Json.read(listed.lines().get(0));
        String id = line.get("id").asText();
        assertThat(id).startsWith("key_");
        assertThat(line.get("userId").asText()).isEqualTo("ann");
        assertThat(line.get("label").asText()).isEqualTo("ci pipeline");
        assertThat(line.get("createdAt").asText()).isNotBlank();
        assertThat(line.get("revokedAt").isNull()).isTrue();
        assertThat(line.size()).as("nothing else: no key, no hash").isEqualTo(5);

        CommandLineStack.Result table = local.local("keys", "list");
        assertThat(table.status()).isZero();
        assertThat(table.lines().get(0)).startsWith("ID").contains("USER", "LABEL", "CREATED", "REVOKED");
        assertThat(table.out()).contains(id, "ann", "ci pipeline", "demo")
                .doesNotContain(key, ApiKeyRepository.hash(key), local.stack.demoKey());

        // A second key of ann's, revoked before its first use: refused at once, by a 401 through the API.
        String second = local.local("keys", "create", "--user", "ann").out().trim();
        String secondId = Json.read(local.local("keys", "list", "--user", "ann", "--json").lines().get(1)).get("id").asText();
        CommandLineStack.Result revoked = local.local("keys", "revoke", "--id", secondId);
        assertThat(revoked.status()).as(revoked.err()).isZero();
        assertThat(revoked.out()).startsWith(secondId + " (user ann) revoked at ");
        CommandLineStack.Reply refused = local.call("GET", "/v1/metronomes", second, null);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().at("/error/code").asText()).isEqualTo("unauthorized");

        CommandLineStack.Result again = local.local("keys", "revoke", "--id", secondId);
        assertThat(again.status()).isZero();
        assertThat(again.out()).as("the same result, revoked at the first time").isEqualTo(revoked.out());
        assertThat(local.call("GET", "/v1/metronomes", second, null).status()).isEqualTo(401);

        assertThat(local.local("keys", "list", "--user", "ann", "--json").lines()).satisfiesExactly(
                first -> assertThat(Json.read(first).get("revokedAt").isNull()).isTrue(),
                other -> assertThat(Json.read(other).get("revokedAt").asText()).isEqualTo(
                        revoked.out().trim().substring(revoked.out().trim().lastIndexOf(' ') + 1)));
        assertThat(local.call("GET", "/v1/metronomes", key, null).status()).as("ann's first key still works").isEqualTo(200);
    }

    @Test
    void usageErrorsExitWith2AndFailuresWith1SayingWhy() throws Exception {
        assertThat(CommandLineStack.run("keys", "create", "--user", "ann").err()).contains("--local or --stack NAME");
        assertThat(CommandLineStack.run("keys", "create", "--user", "ann").status()).isEqualTo(2);
        assertThat(CommandLineStack.run("keys", "create", "--user", "ann", "--local", "--stack", "s").status()).isEqualTo(2);
        assertThat(CommandLineStack.run("keys", "create", "--local").err()).contains("--user");
        assertThat(local.local("keys", "create", "--user", "ann smith").status()).isEqualTo(2);
        assertThat(local.local("keys", "create", "--user", "ann", "--name", "").status()).isEqualTo(2);
        assertThat(local.local("keys", "revoke", "--id", "42").status()).isEqualTo(2);
        assertThat(local.local("keys").status()).isEqualTo(2);
        assertThat(CommandLineStack.run().status()).isEqualTo(2);
        assertThat(CommandLineStack.run("keys", "frobnicate").status()).isEqualTo(2);
        assertThat(CommandLineStack.run("keys", "list", "--help").status()).isZero();

        CommandLineStack.Result unknown = local.local("keys", "revoke", "--id", "key_01jz0000000000000000000000");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.err()).contains("no key has the id key_01jz0000000000000000000000");

        CommandLineStack.Result nowhere = CommandLineStack.run("keys", "list", "--local", "--data-dir", data.resolve("none").toString());
        assertThat(nowhere.status()).isEqualTo(1);
        assertThat(nowhere.err()).contains("no local stack found").contains("Start ./run-local");

        // A file left by a stack that was killed names a process that is gone.
        Process gone = new ProcessBuilder("java", "-version").redirectErrorStream(true).start();
        gone.getInputStream().readAllBytes();
        gone.waitFor();
        Path stale = Files.createDirectories(data.resolve("stale"));
        Files.writeString(stale.resolve("endpoints.json"), Files.readString(data.resolve("endpoints.json"))
                .replaceFirst("\"pid\" : \\d+", "\"pid\" : " + gone.pid()));
        CommandLineStack.Result dead = CommandLineStack.run("keys", "list", "--local", "--data-dir", stale.toString());
        assertThat(dead.status()).isEqualTo(1);
        assertThat(dead.err()).contains("(process " + gone.pid() + ") is no longer running");
    }

    @Test
    void aDataDirectoryMadeBeforeTheByUserIndexIsListedByAScan(@TempDir Path old) throws Exception {
        // The API keys table as it was: keyed by hash, no index (the emulator cannot add one to a table).
        try (LocalEmulators emulators = LocalEmulators.start(old.resolve("dynamodb"), 0, 0)) {
            LocalClients.dynamo(emulators.dynamoEndpoint(), LocalClients.plain()).createTable(r -> r.tableName("ApiKeysTable")
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(AttributeDefinition.builder().attributeName("keyHash").attributeType("S").build())
                    .keySchema(KeySchemaElement.builder().attributeName("keyHash").keyType(KeyType.HASH).build()));
        }
        try (CommandLineStack before = new CommandLineStack(old)) {
            String key = before.local("keys", "create", "--user", "bo").out().trim();
            CommandLineStack.Result listed = before.local("keys", "list", "--user", "bo", "--json");
            assertThat(listed.status()).as(listed.err()).isZero();
            assertThat(listed.lines()).singleElement().satisfies(l -> assertThat(Json.read(l).get("userId").asText()).isEqualTo("bo"));
            assertThat(listed.err()).contains("The table does not have the specified index: byUser", "scanning the table instead");
            assertThat(before.call("GET", "/v1/metronomes", key, null).status()).isEqualTo(200);
        }
    }

    private List<Map<String, AttributeValue>> scanApiKeys() {
        var dynamo = LocalClients.dynamo(local.stack.emulators().dynamoEndpoint(), LocalClients.plain());
        return dynamo.scan(r -> r.tableName(local.stack.environment().get("API_KEYS_TABLE"))).items();
    }
}
