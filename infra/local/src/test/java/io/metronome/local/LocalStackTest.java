package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.emulators.LocalEmulators;
import io.metronome.store.TableSetup;
import io.metronome.store.Tables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalStackTest {
    private static final Path TEMPLATE = Path.of("../../template.yaml");

    @Test
    void aRestartWithTheSameDataDirectoryKeepsEverythingAndFinishesRunsThatWereInFlight(@TempDir Path data) throws Exception {
        String metronomeId;
        String runId;
        String key;
        try (LocalStack first = LocalStack.start(new LocalStack.Options(0, data, List.of(), TEMPLATE))) {
            key = first.demoKey();
            Http.As demo = new Http.As(new Http(first.port()), key);
            metronomeId = demo.post("/v1/metronomes", """
                    {"name": "wait then finish", "definition": {"nodes": [
                      {"id": "wait", "type": "delay", "config": {"seconds": 2}},
                      {"id": "done", "type": "transform", "config": {"expression": "'finished'"}}],
                     "edges": [{"from": "wait", "to": "done"}]}}""").data().get("id").asText();
            runId = demo.post("/v1/metronomes/" + metronomeId + "/runs", "{}").data().get("id").asText();
            waitFor(() -> "running".equals(demo.get("/v1/metronomes/" + metronomeId + "/runs/" + runId).data()
                    .get("status").asText()));
        } // stopped while the run waits in its delay: its wake-up message is lost with the in-memory queue

        try (LocalStack second = LocalStack.start(new LocalStack.Options(0, data, List.of(), TEMPLATE))) {
            assertThat(second.demoKey()).as("the demo key is kept").isEqualTo(key);
            Http.As demo = new Http.As(new Http(second.port()), key);
            assertThat(demo.get("/v1/metronomes/" + metronomeId).status()).isEqualTo(200);
            waitFor(() -> "completed".equals(demo.get("/v1/metronomes/" + metronomeId + "/runs/" + runId).data()
                    .get("status").asText()));
            JsonNode run = demo.get("/v1/metronomes/" + metronomeId + "/runs/" + runId).data();
            assertThat(run.get("output").asText()).isEqualTo("finished");
        }
        assertThat(Files.exists(data.resolve("dynamodb"))).isTrue();
    }

    @Test
    void eachQueueIsPolledAsConcurrentlyAsItsMappingAllowsUpToTheLocalCap() {
        Map<String, Integer> concurrency = new TreeMap<>();
        SamTemplate.load(TEMPLATE).queueSources().forEach(s -> concurrency.put(s.functionId(), s.maxConcurrency()));
        // The worker's maximum is a parameter (50 by default), the trigger queue's a number (5): a laptop gives each 4.
        assertThat(concurrency).containsEntry("WorkerFunction", SamTemplate.LOCAL_MAX_CONCURRENCY)
                .containsEntry("QueuedEventTriggerFunction", SamTemplate.LOCAL_MAX_CONCURRENCY);
    }

    @Test
    void theTemplatesTablesAreTheOnesTheEngineIsTestedOn() {
        LocalEmulators emulators = LocalEmulators.shared();
        DynamoDbClient dynamo = LocalClients.dynamo(emulators.dynamoEndpoint(), LocalClients.plain());
        SamTemplate template = SamTemplate.load(TEMPLATE);
        Map<String, String> fromTemplate = LocalResources.createTables(template, dynamo);
        Tables tested = Tables.withPrefix("compare-");
        TableSetup.createAll(dynamo, tested);
        Map<String, String> env = LocalResources.environment(template, fromTemplate, Map.of("NodeQueue", "url"));
        Tables deployed = Tables.fromEnvironment(env::get);

        List<String[]> pairs = List.of(new String[]{deployed.runs(), tested.runs()}, new String[]{deployed.steps(), tested.steps()},
                new String[]{deployed.auditEvents(), tested.auditEvents()},
                new String[]{deployed.triggerEvents(), tested.triggerEvents()},
                new String[]{deployed.metronomes(), tested.metronomes()}, new String[]{deployed.versions(), tested.versions()},
                new String[]{deployed.idempotency(), tested.idempotency()}, new String[]{deployed.apiKeys(), tested.apiKeys()});
        for (String[] pair : pairs) {
            assertThat(shape(dynamo, pair[0])).as(pair[0] + " in template.yaml vs " + pair[1] + " in TableSetup")
                    .isEqualTo(shape(dynamo, pair[1]));
        }
    }

    private static Map<String, String> shape(DynamoDbClient dynamo, String table) {
        TableDescription d = dynamo.describeTable(r -> r.tableName(table)).table();
        Map<String, String> shape = new TreeMap<>();
        shape.put("key", d.keySchema().toString());
        shape.put("attributes", new TreeMap<>(d.attributeDefinitions().stream().collect(
                java.util.stream.Collectors.toMap(a -> a.attributeName(), a -> a.attributeTypeAsString()))).toString());
        d.globalSecondaryIndexes().forEach(g -> shape.put("index " + g.indexName(),
                g.keySchema() + " " + g.projection().projectionTypeAsString()));
        return shape;
    }

    /** Read from the kernel's table of listening sockets: no connection is made to any address. */
    @Test
    void theEmulatorsListenOnLoopbackOnly() throws Exception {
        Path tcp = Path.of("/proc/net/tcp");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(tcp),
                "no /proc/net/tcp on this system (not Linux), so the listening addresses cannot be read");
        LocalEmulators emulators = LocalEmulators.shared();
        for (java.net.URI endpoint : List.of(emulators.dynamoEndpoint(), emulators.sqsEndpoint())) {
            List<String> listening = listeningAddresses(endpoint.getPort());
            assertThat(listening).as("addresses listening on port " + endpoint.getPort()).isNotEmpty()
                    .allMatch(a -> a.equals("0100007F") || a.equals("0000000000000000FFFF00000100007F")
                            || a.equals("00000000000000000000000001000000"));
        }
    }

    /** The local addresses (hex, as the kernel writes them) of sockets listening on a TCP port. */
    private static List<String> listeningAddresses(int port) throws java.io.IOException {
        List<String> out = new java.util.ArrayList<>();
        String hexPort = String.format("%04X", port);
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(file);
            if (!Files.isReadable(p)) {
                continue;
            }
            for (String line : Files.readAllLines(p).subList(1, Files.readAllLines(p).size())) {
                String[] f = line.trim().split("\\s+");
                String[] local = f[1].split(":");
                if (local[1].equals(hexPort) && f[3].equals("0A")) { // 0A: LISTEN
                    out.add(local[0]);
                }
            }
        }
        return out;
    }

    @Test
    void theCommandLineIsCheckedBeforeAnythingStarts() {
        assertThatThrownBy(() -> LocalStack.parse(new String[]{"--port", "http"})).hasMessageContaining("--port needs a number");
        assertThatThrownBy(() -> LocalStack.parse(new String[]{"--port", "70000"})).hasMessageContaining("1 to 65535");
        assertThatThrownBy(() -> LocalStack.parse(new String[]{"--api-key", "nocolon"})).hasMessageContaining("USER:KEY");
        assertThatThrownBy(() -> LocalStack.parse(new String[]{"--in-memory", "--data-dir", "x"})).hasMessageContaining("together");
        assertThatThrownBy(() -> LocalStack.parse(new String[]{"--verbose"})).hasMessageContaining("unknown option");
        assertThatThrownBy(() -> LocalStack.parse(new String[]{"--port"})).hasMessageContaining("needs a value");
        assertThat(LocalStack.parse(new String[]{"--help"})).isNull();
        var o = LocalStack.parse(new String[]{"--in-memory", "--port", "4000", "--api-key", "ann:k1", "--api-key", "bo:k:2",
                "--template", TEMPLATE.toString()});
        assertThat(o.port()).isEqualTo(4000);
        assertThat(o.dataDir()).isNull();
        assertThat(o.apiKeys()).extracting(k -> k[0] + "=" + k[1]).containsExactly("ann=k1", "bo=k:2");
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(200);
        }
    }
}
