package io.metronome.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * API Gateway's HTTP API, locally: matches each request to a route of the template, turns it into a payload 2.0
 * event, runs the route's authorizer (if it has one) and hands its context to the route's handler, and sends the
 * handler's response back. Bound to 127.0.0.1 only.
 */
final class HttpGateway {
    /** API Gateway's own limit on a request body. */
    private static final int MAX_PAYLOAD = 10 * 1024 * 1024;

    record BoundRoute(SamTemplate.Route route, Pattern pattern, List<String> names,
                      RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> handler) {
    }

    private final List<BoundRoute> routes = new ArrayList<>();
    private final RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse> authorizer;
    private HttpServer server;
    private ExecutorService executor;

    HttpGateway(RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse> authorizer) {
        this.authorizer = authorizer;
    }

    void route(SamTemplate.Route route, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> handler) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("\\{([^}]+)}").matcher(route.path());
        StringBuilder regex = new StringBuilder();
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(route.path().substring(last, m.start()))).append("([^/]+)");
            names.add(m.group(1));
            last = m.end();
        }
        regex.append(Pattern.quote(route.path().substring(last)));
        routes.add(new BoundRoute(route, Pattern.compile(regex.toString()), names, handler));
    }

    /** @return the port bound */
    int start(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        executor = Executors.newFixedThreadPool(16);
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
        return server.getAddress().getPort();
    }

    void stop() {
        if (server != null) {
            server.stop(1);
            executor.shutdown();
        }
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod().toUpperCase();
            String path = exchange.getRequestURI().getRawPath();
            byte[] body = read(exchange.getRequestBody());
            if (body == null) {
                send(exchange, 413, "{\"message\":\"Request Entity Too Large\"}");
                return;
            }
            BoundRoute match = null;
            Map<String, String> params = new LinkedHashMap<>();
            for (BoundRoute r : routes) {
                Matcher m = r.pattern().matcher(path);
                if (r.route().method().equals(method) && m.matches()) {
                    match = r;
                    for (int i = 0; i < r.names().size(); i++) {
                        params.put(r.names().get(i), URLDecoder.decode(m.group(i + 1), StandardCharsets.UTF_8));
                    }
                    break;
                }
            }
            if (match == null) {
                send(exchange, 404, "{\"message\":\"Not Found\"}");
                return;
            }
            APIGatewayV2HTTPEvent event = event(exchange, match, params, body);
            if (match.route().authorized()) {
                SimpleIAMPolicyResponse auth = authorizer.handleRequest(authorizerEvent(event), null);
                if (!auth.getIsAuthorized()) {
                    send(exchange, 403, "{\"message\":\"Forbidden\"}");
                    return;
                }
                event.getRequestContext().setAuthorizer(APIGatewayV2HTTPEvent.RequestContext.Authorizer.builder()
                        .withLambda(new HashMap<>(auth.getContext())).build());
            }
            APIGatewayV2HTTPResponse response = match.handler().handleRequest(event, null);
            if (response.getHeaders() != null) {
                response.getHeaders().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            }
            byte[] out = response.getBody() == null ? new byte[0] : response.getIsBase64Encoded()
                    ? Base64.getDecoder().decode(response.getBody()) : response.getBody().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(response.getStatusCode(), out.length == 0 ? -1 : out.length);
            exchange.getResponseBody().write(out);
        } catch (RuntimeException e) {
            System.err.println("local gateway: " + e);
            send(exchange, 500, "{\"message\":\"Internal Server Error\"}");
        }
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    private static APIGatewayV2HTTPEvent event(HttpExchange exchange, BoundRoute route, Map<String, String> params, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
        String rawQuery = exchange.getRequestURI().getRawQuery();
        Map<String, String> query = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.merge(k, v, (a, b) -> a + "," + b);
            }
        }
        String routeKey = route.route().method() + " " + route.route().path();
        // As API Gateway does: a text body travels as text, anything else (and text that is not valid UTF-8,
        // which a Java string cannot carry unchanged) as base64, so a handler sees the exact bytes sent.
        boolean text = isText(headers.get("content-type")) && isUtf8(body);
        return APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0")
                .withRouteKey(routeKey)
                .withRawPath(exchange.getRequestURI().getRawPath())
                .withRawQueryString(rawQuery == null ? "" : rawQuery)
                .withHeaders(headers)
                .withQueryStringParameters(query.isEmpty() ? null : query)
                .withPathParameters(params.isEmpty() ? null : params)
                .withBody(body.length == 0 ? null : text ? new String(body, StandardCharsets.UTF_8)
                        : Base64.getEncoder().encodeToString(body))
                .withIsBase64Encoded(body.length > 0 && !text)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withRouteKey(routeKey)
                        .withStage("$default")
                        .withRequestId(UUID.randomUUID().toString())
                        .withAccountId("000000000000")
                        .withApiId("local")
                        .withDomainName("127.0.0.1")
                        .withTimeEpoch(System.currentTimeMillis())
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                .withMethod(route.route().method())
                                .withPath(exchange.getRequestURI().getRawPath())
                                .withProtocol(exchange.getProtocol())
                                .withSourceIp(exchange.getRemoteAddress().getAddress().getHostAddress())
                                .withUserAgent(headers.get("user-agent")).build())
                        .build())
                .build();
    }

    private static APIGatewayV2CustomAuthorizerEvent authorizerEvent(APIGatewayV2HTTPEvent e) {
        APIGatewayV2CustomAuthorizerEvent a = new APIGatewayV2CustomAuthorizerEvent();
        a.setVersion("2.0");
        a.setType("REQUEST");
        a.setRouteArn("arn:aws:execute-api:local:000000000000:local/$default/" + e.getRouteKey().replace(' ', '/'));
        a.setRouteKey(e.getRouteKey());
        a.setRawPath(e.getRawPath());
        a.setRawQueryString(e.getRawQueryString());
        a.setHeaders(e.getHeaders());
        a.setQueryStringParameters(e.getQueryStringParameters());
        a.setPathParameters(e.getPathParameters());
        return a;
    }

    private static boolean isText(String contentType) {
        if (contentType == null) {
            return true;
        }
        String c = contentType.toLowerCase();
        return c.startsWith("text/") || c.contains("json") || c.contains("xml") || c.contains("x-www-form-urlencoded");
    }

    private static byte[] read(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_PAYLOAD + 1);
        return bytes.length > MAX_PAYLOAD ? null : bytes;
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] out = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, out.length);
        exchange.getResponseBody().write(out);
    }
}
