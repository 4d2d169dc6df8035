package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.metronome.domain.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The llm key read from Parameter Store, through the real SSM client, against an endpoint speaking its protocol. */
class LlmApiKeyTest {
    private HttpServer ssm;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private volatile String value = "sk-first";
    private SsmClient client;

    @BeforeEach
    void start() throws Exception {
        ssm = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ssm.createContext("/", exchange -> {
            JsonNode request = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
            requests.add(Json.object().put("target", exchange.getRequestHeaders().getFirst("X-Amz-Target"))
                    .setAll((com.fasterxml.jackson.databind.node.ObjectNode) request));
            boolean known = request.path("Name").asText().equals("/metronome/llm-api-key");
            String body = known
                    ? Json.MAPPER.writeValueAsString(Map.of("Parameter", Map.of("Name", "/metronome/llm-api-key",
                    "Type", "SecureString", "Value", value, "Version", 1)))
                    : "{\"__type\": \"ParameterNotFound\", \"message\": \"no such parameter\"}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
            exchange.sendResponseHeaders(known ? 200 : 400, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        ssm.start();
        client = SsmClient.builder().endpointOverride(URI.create("http://127.0.0.1:" + ssm.getAddress().getPort()))
                .region(Region.US_EAST_1).httpClientBuilder(UrlConnectionHttpClient.builder())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
    }

    @AfterEach
    void stop() {
        client.close();
        ssm.stop(0);
    }

    @Test
    void theKeyIsReadDecryptedOnFirstUseAndKeptForFiveMinutesThenReadAgain() {
        AtomicLong now = new AtomicLong();
        LlmApiKey key = new LlmApiKey("/metronome/llm-api-key", () -> client, now::get);
        assertThat(requests).as("nothing is read before an llm node needs the key").isEmpty();

        assertThat(key.current()).isEqualTo("sk-first");
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).get("target").asText()).isEqualTo("AmazonSSM.GetParameter");
        assertThat(requests.get(0).get("WithDecryption").asBoolean()).isTrue();

        value = "sk-rotated";
        now.addAndGet(LlmApiKey.KEPT.toNanos() - 1);
        assertThat(key.current()).as("kept within five minutes").isEqualTo("sk-first");
        assertThat(requests).hasSize(1);
        now.addAndGet(1);
        assertThat(key.current()).as("a rotated key is in use after five minutes").isEqualTo("sk-rotated");
        assertThat(requests).hasSize(2);
    }

    @Test
    void aKeyThatCannotBeReadNamesItsParameterAndTheLlmNodeRetries() {
        LlmApiKey key = new LlmApiKey("/metronome/missing", () -> client, System::nanoTime);
        assertThatThrownBy(key::current).isInstanceOf(LlmApiKey.UnavailableException.class)
                .hasMessageContaining("/metronome/missing").hasMessageContaining("no such parameter");
    }

    @Test
    void withoutAParameterTheLocalVariableIsTheKeyAndNothingIsRead() {
        Map<String, String> env = Map.of("LLM_API_KEY", " sk-local ");
        assertThat(LlmApiKey.fromEnvironment(env::get, () -> {
            throw new AssertionError("no client is built without a parameter");
        }).current()).isEqualTo("sk-local");
        assertThat(LlmApiKey.fromEnvironment(Map.<String, String>of()::get, () -> client).current()).isEmpty();
        assertThat(requests).isEmpty();
    }
}
