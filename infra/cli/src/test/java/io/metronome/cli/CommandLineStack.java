package io.metronome.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.local.EndpointsFile;
import io.metronome.local.LocalStack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The whole local stack (the template's tables and queues on the DynamoDB emulator and ElasticMQ, the worker, the
 * HTTP API), with its endpoints file in a data directory, and the command run in this JVM against it as
 * {@code ./metronome ... --local --data-dir DIR} would.
 */
final class CommandLineStack implements AutoCloseable {
    record Result(int status, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
        }
    }

    record Reply(int status, JsonNode json) {
    }

    final LocalStack stack;
    final Path dataDir;
    private final HttpClient http = HttpClient.newHttpClient();

    CommandLineStack(Path dataDir) throws IOException {
        this.dataDir = dataDir;
        stack = LocalStack.start(new LocalStack.Options(0, dataDir, List.of(), Path.of("../../template.yaml")));
        stack.writeEndpoints(dataDir.resolve(EndpointsFile.NAME));
    }

    /** The command, with {@code --local --data-dir} this stack's directory added. */
    Result local(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--local", "--data-dir", dataDir.toString()));
        return run(all.toArray(String[]::new));
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Metronome.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Reply call(String method, String path, String key, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), Json.read(response.body()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void await(String what, BooleanSupplier condition) {
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("not within 30 s: " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() {
        stack.close();
    }
}
