package io.metronome.testing;

import io.metronome.emulators.LocalEmulators;
import io.metronome.store.TableSetup;
import io.metronome.store.Tables;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.net.URI;

/**
 * The AWS the integration suite runs against, started once per test JVM with the tables created once: by
 * default the DynamoDB emulator and ElasticMQ in-process; with {@code -Dmetronome.backend=localstack} (the
 * {@code localstack} Maven profile) a LocalStack container, if a Docker engine is there, else every test that
 * needs it is skipped with the reason. Code under test gets clients that report to {@link #counter}; the test's
 * own plumbing (the queue pump) uses uncounted clients.
 */
public final class TestStack {
    static final String LOCALSTACK_IMAGE = "localstack/localstack:4.10";
    private static TestStack instance;
    private static String unavailable;

    public final Tables tables;
    public final CallCounter counter = new CallCounter();
    public final DynamoDbClient dynamo;
    public final SqsClient sqs;
    public final DynamoDbClient plainDynamo;
    public final SqsClient plainSqs;
    private final URI dynamoEndpoint;
    private URI localStackEndpoint;
    private final URI sqsEndpoint;
    private final Region region;
    private final StaticCredentialsProvider credentials;

    private TestStack(URI dynamoEndpoint, URI sqsEndpoint, Region region, StaticCredentialsProvider credentials) {
        this.dynamoEndpoint = dynamoEndpoint;
        this.sqsEndpoint = sqsEndpoint;
        this.region = region;
        this.credentials = credentials;
        ClientOverrideConfiguration counted = ClientOverrideConfiguration.builder().addExecutionInterceptor(counter).build();
        dynamo = dynamo(counted);
        sqs = sqs(counted);
        plainDynamo = dynamo(ClientOverrideConfiguration.builder().build());
        plainSqs = sqs(ClientOverrideConfiguration.builder().build());
        tables = Tables.withPrefix("test-");
        TableSetup.createAll(plainDynamo, tables);
    }

    public static synchronized TestStack get() {
        Assumptions.assumeTrue(unavailable == null, unavailable);
        if (instance == null) {
            String backend = System.getProperty("metronome.backend", "emulators");
            if (backend.equals("localstack")) {
                if (!DockerClientFactory.instance().isDockerAvailable()) {
                    unavailable = "no Docker engine here: the LocalStack run (-Plocalstack) is skipped; "
                            + "run it where Docker is, or run the default build on the in-process emulators";
                    System.err.println("[metronome] " + unavailable);
                    Assumptions.abort(unavailable);
                }
                LocalStackContainer localstack = new LocalStackContainer(DockerImageName.parse(LOCALSTACK_IMAGE))
                        .withServices("dynamodb", "sqs", "stepfunctions");
                localstack.start();
                Runtime.getRuntime().addShutdownHook(new Thread(localstack::stop, "localstack-stop"));
                instance = new TestStack(localstack.getEndpoint(), localstack.getEndpoint(),
                        Region.of(localstack.getRegion()), StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(localstack.getAccessKey(), localstack.getSecretKey())));
                instance.localStackEndpoint = localstack.getEndpoint();
            } else {
                LocalEmulators emulators = LocalEmulators.shared();
                instance = new TestStack(emulators.dynamoEndpoint(), emulators.sqsEndpoint(), Region.US_EAST_1,
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")));
            }
        }
        return instance;
    }

    /** LocalStack's endpoint (Step Functions and the rest) in the localstack profile; null on the emulators. */
    public URI localStackEndpoint() {
        return localStackEndpoint;
    }

    /** The ports of the AWS endpoints the suite runs against: the egress policy keeps nodes away from them. */
    public java.util.Set<Integer> ports() {
        return java.util.Set.copyOf(java.util.List.of(dynamoEndpoint.getPort(), sqsEndpoint.getPort())); // one port on LocalStack
    }

    /** A Step Functions client for the given endpoint (counted, like the others); unreachable if none is given. */
    public software.amazon.awssdk.services.sfn.SfnClient sfn(String endpoint) {
        return software.amazon.awssdk.services.sfn.SfnClient.builder()
                .endpointOverride(URI.create(endpoint == null ? "http://127.0.0.1:9" : endpoint)).region(region)
                .credentialsProvider(credentials).httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(ClientOverrideConfiguration.builder().addExecutionInterceptor(counter).build())
                .build();
    }

    /** A DynamoDB Streams client on the same endpoint as DynamoDB (the emulator serves both), not counted. */
    public software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient streams() {
        return software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient.builder()
                .endpointOverride(dynamoEndpoint).region(region).credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    /** An EventBridge client for the given endpoint (counted, like the others). */
    public software.amazon.awssdk.services.eventbridge.EventBridgeClient eventBridge(String endpoint) {
        return software.amazon.awssdk.services.eventbridge.EventBridgeClient.builder()
                .endpointOverride(URI.create(endpoint)).region(region).credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(ClientOverrideConfiguration.builder().addExecutionInterceptor(counter).build())
                .build();
    }

    /** A DynamoDB client (counted, like the others) that also reports to {@code extra}, e.g. a request recorder. */
    public DynamoDbClient dynamo(software.amazon.awssdk.core.interceptor.ExecutionInterceptor extra) {
        return dynamo(ClientOverrideConfiguration.builder().addExecutionInterceptor(counter).addExecutionInterceptor(extra)
                .build());
    }

    private DynamoDbClient dynamo(ClientOverrideConfiguration config) {
        return DynamoDbClient.builder().endpointOverride(dynamoEndpoint).region(region).credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).overrideConfiguration(config).build();
    }

    private SqsClient sqs(ClientOverrideConfiguration config) {
        return SqsClient.builder().endpointOverride(sqsEndpoint).region(region).credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()).overrideConfiguration(config).build();
    }
}
