package io.metronome.testing;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * An HTTP endpoint on loopback for http nodes to call: counts hits and records Idempotency-Key headers,
 * answers with a status chosen per hit, and can hold requests until released (a node "in flight").
 */
public final class LocalHttpEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final AtomicInteger hits = new AtomicInteger();
    private final List<String> idempotencyKeys = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private volatile IntUnaryOperator statusForHit = hit -> 200;
    private final java.util.Map<String, AtomicInteger> hitsByPath = new java.util.concurrent.ConcurrentHashMap<>();
    /** When set, the status by path and that path's hit count, and a body that names the path only. */
    private volatile java.util.function.ToIntBiFunction<String, Integer> statusForPathHit;
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final CountDownLatch firstArrival = new CountDownLatch(1);

    public LocalHttpEndpoint() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            int n = hits.incrementAndGet();
            String path = exchange.getRequestURI().getPath();
            int nOfPath = hitsByPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            idempotencyKeys.add(String.valueOf(exchange.getRequestHeaders().getFirst("Idempotency-Key")));
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            firstArrival.countDown();
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            var byPath = statusForPathHit;
            byte[] body = ((byPath == null ? "{\"hit\": " + n + ", " : "{") + "\"path\": \"" + path + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(byPath == null ? statusForHit.applyAsInt(n) : byPath.applyAsInt(path, nOfPath),
                    body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public LocalHttpEndpoint answering(IntUnaryOperator statusForHit) {
        this.statusForHit = statusForHit;
        return this;
    }

    /**
     * Answers each path by how many times it was hit (from 1), e.g. to fail some paths only the first time; the
     * body is then the same for every hit of a path.
     */
    public LocalHttpEndpoint answeringByPath(java.util.function.ToIntBiFunction<String, Integer> statusForPathHit) {
        this.statusForPathHit = statusForPathHit;
        return this;
    }

    /** Hits so far per request path. */
    public java.util.Map<String, Integer> hitsByPath() {
        java.util.Map<String, Integer> out = new java.util.TreeMap<>();
        hitsByPath.forEach((path, n) -> out.put(path, n.get()));
        return out;
    }

    /** Requests wait until {@link #release()}. */
    public LocalHttpEndpoint holdRequests() {
        gate = new CountDownLatch(1);
        return this;
    }

    public void release() {
        gate.countDown();
    }

    public boolean awaitFirstRequest(long seconds) throws InterruptedException {
        return firstArrival.await(seconds, TimeUnit.SECONDS);
    }

    public int hits() {
        return hits.get();
    }

    public List<String> idempotencyKeys() {
        return List.copyOf(idempotencyKeys);
    }

    public List<String> bodies() {
        return List.copyOf(bodies);
    }

    @Override
    public void close() {
        gate.countDown();
        server.stop(0);
    }
}
