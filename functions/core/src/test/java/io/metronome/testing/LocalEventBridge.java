package io.metronome.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.metronome.domain.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * A loopback endpoint speaking EventBridge's JSON 1.1 protocol (PutEvents) for the real SDK client. It keeps every
 * entry it takes; entries may be refused by their number among all it was sent ({@link #refusing}), answered as
 * EventBridge does, with {@code FailedEntryCount} and the failed entry's error code.
 */
public final class LocalEventBridge implements AutoCloseable {
    private final HttpServer server;
    private final AtomicInteger entriesSeen = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private volatile IntPredicate refuse = n -> false;
    /** The entries taken, in order, as sent (EventBusName, Source, DetailType, Detail, ...). */
    public final List<JsonNode> taken = new CopyOnWriteArrayList<>();

    public LocalEventBridge() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::serve);
        server.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** @param entryNumber which entries to refuse, by their number (from 1) among all entries sent */
    public LocalEventBridge refusing(IntPredicate entryNumber) {
        this.refuse = entryNumber;
        return this;
    }

    public int calls() {
        return calls.get();
    }

    private synchronized void serve(HttpExchange exchange) throws IOException {
        calls.incrementAndGet();
        String target = String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
        JsonNode in = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
        ObjectNode out = Json.object();
        int status = 200;
        if (target.equals("AWSEvents.PutEvents")) {
            ArrayNode results = out.putArray("Entries");
            int failed = 0;
            for (JsonNode entry : in.path("Entries")) {
                int n = entriesSeen.incrementAndGet();
                if (refuse.test(n)) {
                    failed++;
                    results.addObject().put("ErrorCode", "InternalFailure").put("ErrorMessage", "try again");
                } else {
                    taken.add(entry);
                    results.addObject().put("EventId", "evt-" + n);
                }
            }
            out.put("FailedEntryCount", failed);
        } else {
            status = 400;
            out.put("__type", "UnknownOperationException").put("message", target);
        }
        byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
