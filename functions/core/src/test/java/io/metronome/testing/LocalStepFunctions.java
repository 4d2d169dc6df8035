package io.metronome.testing;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback endpoint speaking the Step Functions JSON 1.0 protocol (StartExecution, DescribeExecution,
 * StopExecution) for the real SDK client. State machines behave by name: {@code ...:metronome-ok} succeeds on
 * its second look, echoing its input; {@code ...:metronome-fail} fails; any other runs until stopped. A start
 * with a name already used and the same input answers the same execution, as Step Functions does.
 */
public final class LocalStepFunctions implements AutoCloseable {
    private record Execution(String arn, String stateMachine, String name, String input, AtomicInteger looks,
                             String[] status) {
    }

    private final HttpServer server;
    private final Map<String, Execution> byArn = new ConcurrentHashMap<>();
    public final List<String> starts = new CopyOnWriteArrayList<>();
    public final List<String> stops = new CopyOnWriteArrayList<>();

    public LocalStepFunctions() {
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

    public List<String> executionNames(String stateMachineArn) {
        return byArn.values().stream().filter(e -> e.stateMachine().equals(stateMachineArn)).map(Execution::name).toList();
    }

    public String status(String arn) {
        return byArn.get(arn).status()[0];
    }

    private synchronized void serve(HttpExchange exchange) throws IOException {
        String target = String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
        JsonNode in = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
        ObjectNode out = Json.object();
        int status = 200;
        switch (target.substring(target.indexOf('.') + 1)) {
            case "StartExecution" -> {
                String machine = in.get("stateMachineArn").asText();
                String name = in.get("name").asText();
                String arn = machine.replace(":stateMachine:", ":execution:") + ":" + name;
                starts.add(name);
                Execution existing = byArn.get(arn);
                if (existing != null && !existing.input().equals(in.path("input").asText())) {
                    status = 400;
                    out.put("__type", "ExecutionAlreadyExists").put("message", "Execution Already Exists: '" + arn + "'");
                } else {
                    byArn.putIfAbsent(arn, new Execution(arn, machine, name, in.path("input").asText(), new AtomicInteger(),
                            new String[]{"RUNNING"}));
                    out.put("executionArn", arn).put("startDate", System.currentTimeMillis() / 1000.0);
                }
            }
            case "DescribeExecution" -> {
                Execution e = byArn.get(in.get("executionArn").asText());
                int looks = e.looks().incrementAndGet();
                if (e.status()[0].equals("RUNNING") && e.stateMachine().contains(":metronome-ok") && looks >= 2) {
                    e.status()[0] = "SUCCEEDED";
                } else if (e.status()[0].equals("RUNNING") && e.stateMachine().contains(":metronome-fail")) {
                    e.status()[0] = "FAILED";
                }
                out.put("executionArn", e.arn()).put("stateMachineArn", e.stateMachine()).put("name", e.name())
                        .put("status", e.status()[0]).put("startDate", System.currentTimeMillis() / 1000.0)
                        .put("input", e.input());
                if (e.status()[0].equals("SUCCEEDED")) {
                    out.put("output", "{\"done\":true,\"echo\":" + e.input() + "}");
                } else if (e.status()[0].equals("FAILED")) {
                    out.put("error", "States.TaskFailed").put("cause", "the payment service said no");
                }
            }
            case "StopExecution" -> {
                Execution e = byArn.get(in.get("executionArn").asText());
                stops.add(e.arn());
                e.status()[0] = "ABORTED";
                out.put("stopDate", System.currentTimeMillis() / 1000.0);
            }
            default -> {
                status = 400;
                out.put("__type", "UnknownOperationException").put("message", target);
            }
        }
        byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.0");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
