import io.metronome.dynamodb.DynamoDbEmulator;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.Arrays;
import java.util.Map;

/**
 * PutItem latency through the real SDK v2 client against the DynamoDB emulator in the same JVM (the way the tests
 * and ./run-local use it): warm-up, then a timed series; prints the median, p90, p99 and mean. Run by
 * infra/bench/dynamodb-emulator; not a test.
 */
public class EmulatorBench {
    public static void main(String[] args) {
        int warmup = Integer.parseInt(args[0]);
        int measured = Integer.parseInt(args[1]);
        int itemBytes = Integer.parseInt(args[2]);
        try (DynamoDbEmulator emulator = DynamoDbEmulator.start();
             DynamoDbClient dynamo = DynamoDbClient.builder().endpointOverride(emulator.endpoint())
                     .region(Region.US_EAST_1).httpClientBuilder(UrlConnectionHttpClient.builder())
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("b", "b")))
                     .build()) {
            dynamo.createTable(r -> r.tableName("bench").billingMode("PAY_PER_REQUEST")
                    .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                    .keySchema(k -> k.attributeName("pk").keyType("HASH")));
            String payload = "x".repeat(itemBytes);
            long[] nanos = new long[measured];
            for (int i = 0; i < warmup + measured; i++) {
                Map<String, AttributeValue> item = Map.of("pk", AttributeValue.fromS("item-" + (i % 1000)),
                        "payload", AttributeValue.fromS(payload), "rev", AttributeValue.fromN(Integer.toString(i)));
                long start = System.nanoTime();
                dynamo.putItem(r -> r.tableName("bench").item(item));
                if (i >= warmup) {
                    nanos[i - warmup] = System.nanoTime() - start;
                }
            }
            Arrays.sort(nanos);
            double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
            System.out.printf("PutItem, %d-byte payload, %d calls after %d warm-up: median %.3f ms, p90 %.3f ms, "
                            + "p99 %.3f ms, mean %.3f ms%n", itemBytes, measured, warmup, nanos[measured / 2] / 1e6,
                    nanos[measured * 9 / 10] / 1e6, nanos[measured * 99 / 100] / 1e6, mean);
        }
    }
}
