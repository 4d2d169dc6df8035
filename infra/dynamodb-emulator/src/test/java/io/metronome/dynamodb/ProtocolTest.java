package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.Optional;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The wire protocol, written from the DynamoDB Developer Guide "DynamoDB low-level API" (Programming.LowLevelAPI.html:
 * POST with X-Amz-Target DynamoDB_20120810.&lt;Operation&gt;, Content-Type application/x-amz-json-1.0, the
 * x-amz-crc32 and x-amzn-RequestId response headers, error bodies with __type and message), the API Reference
 * "Common Errors" (UnknownOperationException, SerializationException as HTTP 400) and "Error handling with
 * DynamoDB" (Programming.Errors.html). Requests here are sent with java.net.http directly, not the SDK.
 */
class ProtocolTest extends Conformance {

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper JSON = new ObjectMapper();

    static HttpRequest.Builder request() {
        return HttpRequest.newBuilder(EMULATOR.endpoint().resolve("/")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-amz-json-1.0")
                .header("X-Amz-Date", "20240101T000000Z")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=any/20240101/us-east-1/dynamodb/aws4_request, "
                        + "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef");
    }

    static HttpResponse<byte[]> post(String target, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = request().POST(HttpRequest.BodyPublishers.ofString(body));
        if (target != null) {
            b.header("X-Amz-Target", target);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode json(HttpResponse<byte[]> r) throws IOException {
        return JSON.readTree(r.body());
    }

    static String message(JsonNode body) {
        JsonNode m = body.has("message") ? body.get("message") : body.get("Message");
        return m == null ? null : m.asText();
    }

    static long crc32(byte[] body) {
        CRC32 c = new CRC32();
        c.update(body);
        return c.getValue();
    }

    @Test
    void unknownOperationIsA400UnknownOperationException() throws Exception {
        for (String target : new String[]{"DynamoDB_20120810.NoSuchOperation", "DynamoDB_20120810.", "NoSuchService.ListTables",
                "ListTables"}) {
            HttpResponse<byte[]> r = post(target, "{}");
            assertThat(r.statusCode()).as(target).isEqualTo(400);
            assertThat(json(r).get("__type").asText()).as(target).isEqualTo("com.amazon.coral.service#UnknownOperationException");
        }
        HttpResponse<byte[]> none = post(null, "{}");
        assertThat(none.statusCode()).isEqualTo(400);
        assertThat(json(none).get("__type").asText()).isEqualTo("com.amazon.coral.service#UnknownOperationException");
    }

    @Test
    void malformedJsonIsASerializationException() throws Exception {
        for (String body : new String[]{"{not json", "{\"TableName\": "}) {
            HttpResponse<byte[]> r = post("DynamoDB_20120810.DescribeTable", body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(json(r).get("__type").asText()).as(body).isEqualTo("com.amazon.coral.service#SerializationException");
        }
        HttpResponse<byte[]> wrongType = post("DynamoDB_20120810.DescribeTable", "{\"TableName\": {\"x\": 1}}");
        assertThat(wrongType.statusCode()).isEqualTo(400);
        assertThat(json(wrongType).get("__type").asText()).isEqualTo("com.amazon.coral.service#SerializationException");
    }

    @Test
    void trailingContentAfterTheJsonObjectIsASerializationException() throws Exception {
        HttpResponse<byte[]> r = post("DynamoDB_20120810.DescribeTable", "{\"a\":1}}x");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("__type").asText()).isEqualTo("com.amazon.coral.service#SerializationException");
    }

    @Test
    void responsesCarryTheCrc32OfTheBodyAndARequestId() throws Exception {
        HttpResponse<byte[]> ok = post("DynamoDB_20120810.ListTables", "{}");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json(ok).get("TableNames").isArray()).isTrue();
        assertThat(ok.headers().firstValue("x-amz-crc32")).hasValue(Long.toString(crc32(ok.body())));
        assertThat(ok.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/x-amz-json-1.0"));
        Optional<String> id = ok.headers().firstValue("x-amzn-RequestId");
        assertThat(id).hasValueSatisfying(v -> assertThat(v).isNotBlank());

        HttpResponse<byte[]> again = post("DynamoDB_20120810.ListTables", "{\"Limit\": 1}");
        assertThat(again.headers().firstValue("x-amzn-RequestId")).isPresent().isNotEqualTo(id);
        assertThat(again.headers().firstValue("x-amz-crc32")).hasValue(Long.toString(crc32(again.body())));

        HttpResponse<byte[]> error = post("DynamoDB_20120810.DescribeTable", "{\"TableName\": \"no-such-table-proto\"}");
        assertThat(error.statusCode()).isEqualTo(400);
        assertThat(error.headers().firstValue("x-amz-crc32")).hasValue(Long.toString(crc32(error.body())));
        assertThat(error.headers().firstValue("x-amzn-RequestId")).hasValueSatisfying(v -> assertThat(v).isNotBlank());

        // A body with non-ASCII characters: the checksum is over the bytes sent.
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("é𝄞ü"))));
        HttpResponse<byte[]> utf8 = post("DynamoDB_20120810.Scan", "{\"TableName\": \"" + t + "\"}");
        assertThat(json(utf8).get("Items").get(0).get("pk").get("S").asText()).isEqualTo("é𝄞ü");
        assertThat(utf8.headers().firstValue("x-amz-crc32")).hasValue(Long.toString(crc32(utf8.body())));
    }

    @Test
    void errorsCarryTypeAndMessage() throws Exception {
        HttpResponse<byte[]> missing = post("DynamoDB_20120810.DescribeTable", "{\"TableName\": \"no-such-table-proto\"}");
        assertThat(missing.statusCode()).isEqualTo(400);
        JsonNode m = json(missing);
        assertThat(m.get("__type").asText()).isEqualTo("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException");
        assertThat(message(m)).contains("Requested resource not found");

        String t = table(false);
        HttpResponse<byte[]> invalid = post("DynamoDB_20120810.Query", "{\"TableName\": \"" + t + "\"}");
        assertThat(invalid.statusCode()).isEqualTo(400);
        JsonNode v = json(invalid);
        assertThat(v.get("__type").asText()).isEqualTo("com.amazon.coral.validate#ValidationException");
        assertThat(message(v)).contains("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");

        post("DynamoDB_20120810.PutItem", "{\"TableName\": \"" + t + "\", \"Item\": {\"pk\": {\"S\": \"a\"}}}");
        HttpResponse<byte[]> failed = post("DynamoDB_20120810.PutItem", "{\"TableName\": \"" + t + "\", \"Item\": {\"pk\": {\"S\": \"a\"}},"
                + " \"ConditionExpression\": \"attribute_not_exists(pk)\"}");
        assertThat(failed.statusCode()).isEqualTo(400);
        JsonNode f = json(failed);
        assertThat(f.get("__type").asText()).isEqualTo("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException");
        assertThat(message(f)).isEqualTo("The conditional request failed");

        HttpResponse<byte[]> exists = post("DynamoDB_20120810.CreateTable", "{\"TableName\": \"" + t + "\", \"BillingMode\": \"PAY_PER_REQUEST\","
                + " \"AttributeDefinitions\": [{\"AttributeName\": \"pk\", \"AttributeType\": \"S\"}],"
                + " \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"}]}");
        assertThat(exists.statusCode()).isEqualTo(400);
        JsonNode e = json(exists);
        assertThat(e.get("__type").asText()).isEqualTo("com.amazonaws.dynamodb.v20120810#ResourceInUseException");
        assertThat(message(e)).isNotBlank();
    }

    @Test
    void anyCredentialsAndRegionWorkThroughTheSdk() {
        for (Region region : new Region[]{Region.US_EAST_1, Region.AP_SOUTHEAST_2, Region.of("xx-nowhere-9")}) {
            try (DynamoDbClient other = DynamoDbClient.builder().endpointOverride(EMULATOR.endpoint()).region(region)
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsSessionCredentials.create("AKIA" + region.id().length(), "secret/with+odd=chars", "session-token")))
                    .httpClientBuilder(UrlConnectionHttpClient.builder()).build()) {
                assertThat(other.listTables().tableNames()).isNotNull();
                String t = "proto-" + region.id() + "-" + Math.floorMod(System.nanoTime(), 1_000_000);
                other.createTable(r -> r.tableName(t).billingMode(BillingMode.PAY_PER_REQUEST)
                        .attributeDefinitions(d -> d.attributeName("pk").attributeType(ScalarAttributeType.S))
                        .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build()));
                other.putItem(r -> r.tableName(t).item(item("pk", s("a"), "v", n("1"))));
                assertThat(other.getItem(r -> r.tableName(t).key(item("pk", s("a")))).item()).isEqualTo(item("pk", s("a"), "v", n("1")));
            }
        }
    }

    @Test
    void aGetAnswers200() throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(EMULATOR.endpoint().resolve("/")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void listensOn127001Only() throws Exception {
        assertThat(EMULATOR.endpoint().getHost()).isEqualTo("127.0.0.1");
        assertThat(EMULATOR.endpoint().getPort()).isEqualTo(EMULATOR.port()).isPositive();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), EMULATOR.port()), 2000);
            assertThat(s.isConnected()).isTrue();
        }
        InetAddress outside = null;
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    outside = a;
                }
            }
        }
        Assumptions.assumeTrue(outside != null, "no non-loopback IPv4 address on this machine");
        InetAddress address = outside;
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(address, EMULATOR.port()), 2000);
            }
        }).as("refused, or dropped by a firewall: either way not served").isInstanceOf(java.io.IOException.class);
    }
}
