package io.metronome.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The stack {@code ./run-local} runs, found through the {@code endpoints.json} it writes in its data directory
 * ({@code .metronome/} in the directory it was started from, also with {@code --in-memory}) and removes when it
 * stops.
 */
final class LocalTarget {
    static final String FILE = "endpoints.json";
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));

    private LocalTarget() {
    }

    static Target open(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CommandFailed("no local stack found: " + file + " is not there. Start ./run-local (from this "
                    + "directory), or name the data directory it was started with: --data-dir DIR");
        } catch (IOException e) {
            throw new CommandFailed("cannot read " + file + ": " + e.getMessage(), e);
        }
        JsonNode o;
        try {
            o = Json.read(text);
        } catch (IllegalArgumentException e) {
            throw new CommandFailed(file + " is not JSON: " + e.getMessage(), e);
        }
        long pid = o.path("pid").asLong(-1);
        boolean running = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        if (!running) {
            throw new CommandFailed("the local stack that wrote " + file + " (process " + pid + ") is no longer running: "
                    + "start ./run-local again");
        }
        Region region = Region.of(required(o, file, "region"));
        URI dynamoEndpoint = URI.create(required(o, file, "dynamodb"));
        URI sqsEndpoint = URI.create(required(o, file, "sqs"));
        String apiKeys = required(o.path("tables"), file, "ApiKeysTable");
        String runs = required(o.path("tables"), file, "RunsTable");
        String nodeQueue = required(o.path("queues"), file, "NodeQueue");
        String deadLetterQueue = required(o.path("queues"), file, "NodeDeadLetterQueue");
        DynamoDbClient dynamo = DynamoDbClient.builder().endpointOverride(dynamoEndpoint).region(region)
                .credentialsProvider(CREDENTIALS).httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        SqsClient sqs = SqsClient.builder().endpointOverride(sqsEndpoint).region(region)
                .credentialsProvider(CREDENTIALS).httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        return new Target("the local stack in " + dataDir, dynamo, sqs, apiKeys, runs, nodeQueue, deadLetterQueue);
    }

    private static String required(JsonNode o, Path file, String field) {
        JsonNode v = o.path(field);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new CommandFailed(file + " does not say " + field + ": it was written by another version of "
                    + "./run-local; restart it");
        }
        return v.asText();
    }
}
