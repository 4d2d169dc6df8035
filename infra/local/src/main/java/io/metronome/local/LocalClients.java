package io.metronome.local;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.net.URI;

/** SDK clients for local endpoints (the emulators), with the local stack's fixed region and credentials. */
public final class LocalClients {
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));

    private LocalClients() {
    }

    public static DynamoDbClient dynamo(URI endpoint, ClientOverrideConfiguration config) {
        return DynamoDbClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(CREDENTIALS)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).overrideConfiguration(config).build();
    }

    public static SqsClient sqs(URI endpoint, ClientOverrideConfiguration config) {
        return SqsClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(CREDENTIALS)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).overrideConfiguration(config).build();
    }

    public static SfnClient sfn(URI endpoint, ClientOverrideConfiguration config) {
        return SfnClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(CREDENTIALS)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).overrideConfiguration(config).build();
    }

    /** The DynamoDB emulator serves its streams on the same endpoint. */
    public static software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient streams(URI endpoint) {
        return software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient.builder().endpointOverride(endpoint)
                .region(Region.US_EAST_1).credentialsProvider(CREDENTIALS)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    public static ClientOverrideConfiguration plain() {
        return ClientOverrideConfiguration.builder().build();
    }
}
