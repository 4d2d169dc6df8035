package io.metronome.dynamodb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.zip.CRC32;

/**
 * DynamoDB's JSON 1.0 protocol over HTTP: a POST whose {@code X-Amz-Target} names the operation (DynamoDB's, prefix
 * {@code DynamoDB_20120810.}, or DynamoDB Streams', prefix {@code DynamoDBStreams_20120810.}), a JSON body in and
 * out, errors as {@code {"__type": ..., "message": ...}} with status 400 (500 for the emulator's own faults), and
 * the {@code x-amz-crc32} header the SDKs check. Requests are not signature-checked.
 */
final class HttpFrontend {
    static final String DYNAMODB = "DynamoDB_20120810.";
    static final String STREAMS = "DynamoDBStreams_20120810.";
    private static final String CONTENT_TYPE = "application/x-amz-json-1.0";
    /** Beyond DynamoDB's own request limits (16 MB batches), so a runaway client cannot exhaust memory. */
    private static final int MAX_BODY_BYTES = 32 * 1024 * 1024;
    /** Deeply nested expressions are parsed by recursion: each request thread gets a generous stack. */
    private static final long THREAD_STACK_BYTES = 16L * 1024 * 1024;

    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** By X-Amz-Target: the prefix and the operation's name. */
    private final Map<String, Function<JsonNode, ObjectNode>> operations;
    private final HttpServer server;
    private final ExecutorService executor;

    HttpFrontend(int port, Map<String, Function<JsonNode, ObjectNode>> operations) throws IOException {
        this.operations = operations;
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(2000).build());
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            // Without it the JDK's server waits on Nagle's algorithm for small responses: milliseconds a call.
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(null, r, "dynamodb-emulator-" + n.incrementAndGet(), THREAD_STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Closes the listener, then waits (a little) for requests under way: they are never interrupted mid-write. */
    void stop() {
        server.stop(0);
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (exchange.getRequestMethod().equals("GET")) {
                // DynamoDB answers a plain GET with a health line; load balancers and curl users rely on it.
                send(exchange, 200, "healthy: dynamodb.local".getBytes(StandardCharsets.UTF_8), "text/plain");
                return;
            }
            ObjectNode response;
            int status = 200;
            try {
                response = dispatch(exchange);
            } catch (DynamoDbException e) {
                status = e.status;
                response = errorBody(e);
            } catch (StackOverflowError e) {
                status = 400;
                response = errorBody(DynamoDbException.validation("The request is nested too deeply to be processed"));
            } catch (RuntimeException e) {
                status = 500;
                response = errorBody(DynamoDbException.internal("The emulator failed to process the request: " + e));
            }
            send(exchange, status, mapper.writeValueAsBytes(response), CONTENT_TYPE);
        }
    }

    private ObjectNode dispatch(HttpExchange exchange) throws IOException {
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        Function<JsonNode, ObjectNode> operation = target == null ? null : operations.get(target);
        if (!exchange.getRequestMethod().equals("POST") || operation == null) {
            String prefix = target == null ? null : target.startsWith(DYNAMODB) ? DYNAMODB
                    : target.startsWith(STREAMS) ? STREAMS : null;
            boolean named = prefix != null && target.length() > prefix.length();
            throw DynamoDbException.unknownOperation(named ? target.substring(prefix.length()) : null);
        }
        JsonNode request;
        try {
            byte[] body = readBody(exchange.getRequestBody());
            request = body.length == 0 ? mapper.createObjectNode() : mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw DynamoDbException.serialization("The request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (request == null || !request.isObject()) {
            throw DynamoDbException.serialization("Start of list found where not expected");
        }
        return operation.apply(request);
    }

    private static byte[] readBody(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16384];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            if (out.size() > MAX_BODY_BYTES) {
                throw DynamoDbException.validation("Request size exceeded " + MAX_BODY_BYTES + " bytes");
            }
        }
        return out.toByteArray();
    }

    private static ObjectNode errorBody(DynamoDbException e) {
        ObjectNode body = Codec.JSON.objectNode();
        body.put("__type", e.type);
        if (e.getMessage() != null) {
            body.put("message", e.getMessage());
        }
        if (e.extra != null) {
            body.setAll(e.extra);
        }
        return body;
    }

    private static void send(HttpExchange exchange, int status, byte[] body, String contentType) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(body);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        exchange.getResponseHeaders().set("x-amz-crc32", Long.toString(crc.getValue()));
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
