package io.metronome.dynamodb;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What every conformance test shares: one emulator for the test JVM, in memory, and the real SDK v2 clients
 * pointed at it (the same clients, HTTP stack and marshalling a user's code has: DynamoDB's, and DynamoDB Streams'
 * on the same endpoint). Each test makes tables of its own, with unique names, so tests never see each other's
 * items.
 */
abstract class Conformance {
    static final DynamoDbEmulator EMULATOR = DynamoDbEmulator.start();
    static final DynamoDbClient dynamo = client(EMULATOR.endpoint());
    static final DynamoDbStreamsClient streams = streamsClient(EMULATOR.endpoint());
    private static final AtomicInteger TABLES = new AtomicInteger();

    static DynamoDbClient client(URI endpoint) {
        return DynamoDbClient.builder()
                .endpointOverride(endpoint)
                .region(Region.EU_WEST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("any", "thing")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    static DynamoDbStreamsClient streamsClient(URI endpoint) {
        return DynamoDbStreamsClient.builder()
                .endpointOverride(endpoint)
                .region(Region.EU_WEST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("any", "thing")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    /** A fresh on-demand table keyed by pk (S), and sk (S) when {@code withSortKey}. */
    static String table(boolean withSortKey) {
        return table(withSortKey, b -> { });
    }

    /** A fresh on-demand table, with the request adjusted (indexes, more attribute definitions...). */
    static String table(boolean withSortKey, Consumer<CreateTableRequest.Builder> adjust) {
        String name = "t" + TABLES.incrementAndGet() + "-" + System.nanoTime() % 100000;
        List<AttributeDefinition> attributes = new ArrayList<>();
        List<KeySchemaElement> key = new ArrayList<>();
        attributes.add(AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build());
        key.add(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build());
        if (withSortKey) {
            attributes.add(AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.S).build());
            key.add(KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build());
        }
        CreateTableRequest.Builder b = CreateTableRequest.builder().tableName(name)
                .billingMode(BillingMode.PAY_PER_REQUEST).attributeDefinitions(attributes).keySchema(key);
        adjust.accept(b);
        dynamo.createTable(b.build());
        return name;
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static AttributeValue n(String v) {
        return AttributeValue.fromN(v);
    }

    static AttributeValue b(byte... v) {
        return AttributeValue.fromB(SdkBytes.fromByteArray(v));
    }

    /** An item from alternating names and values. */
    static Map<String, AttributeValue> item(Object... nameValues) {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            m.put((String) nameValues[i], (AttributeValue) nameValues[i + 1]);
        }
        return m;
    }
}
