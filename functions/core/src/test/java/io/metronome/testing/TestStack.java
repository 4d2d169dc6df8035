package io.metronome.testing;

import io.metronome.emulators.LocalEmulators;
import io.metronome.store.TableSetup;
import io.metronome.store.Tables;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * DynamoDB Local and ElasticMQ, started once per test JVM, with the tables created once. Code under test gets
 * clients that report to {@link #counter}; the test's own plumbing (the queue pump) uses uncounted clients.
 */
public final class TestStack {
    private static TestStack instance;

    public final LocalEmulators emulators;
    public final Tables tables;
    public final CallCounter counter = new CallCounter();
    public final DynamoDbClient dynamo;
    public final SqsClient sqs;
    public final DynamoDbClient plainDynamo;
    public final SqsClient plainSqs;

    private TestStack() {
        emulators = LocalEmulators.shared();
        ClientOverrideConfiguration counted = ClientOverrideConfiguration.builder().addExecutionInterceptor(counter).build();
        dynamo = dynamo(counted);
        sqs = sqs(counted);
        plainDynamo = dynamo(ClientOverrideConfiguration.builder().build());
        plainSqs = sqs(ClientOverrideConfiguration.builder().build());
        tables = Tables.withPrefix("test-");
        TableSetup.createAll(plainDynamo, tables);
    }

    public static synchronized TestStack get() {
        if (instance == null) {
            instance = new TestStack();
        }
        return instance;
    }

    private DynamoDbClient dynamo(ClientOverrideConfiguration config) {
        return DynamoDbClient.builder().endpointOverride(emulators.dynamoEndpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).overrideConfiguration(config).build();
    }

    private SqsClient sqs(ClientOverrideConfiguration config) {
        return SqsClient.builder().endpointOverride(emulators.sqsEndpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).overrideConfiguration(config).build();
    }
}
