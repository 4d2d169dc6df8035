package io.metronome.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import io.metronome.api.ApiError;
import io.metronome.api.RouteTable;
import io.metronome.domain.ApiException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * API Gateway's HTTP API, locally: matches each request to a route of the template (or to its {@code $default}
 * route, as API Gateway does), turns it into a payload 2.0 event, runs the route's authorizer (if it has one) and
 * hands its context to the route's handler, and sends the handler's response back. Bound to 127.0.0.1 only.
 *
 * <p>Every answer is JSON in the contract's error envelope, including the ones API Gateway gives itself: a request
 * the HTTP server cannot read (request line, URI, headers, framing), a malformed percent-escape in the path or
 * query, a body past API Gateway's 10 MB. Jetty serves it because its error handling can be replaced whole (the
 * JDK's server answers those with HTML pages before any handler runs).
 */
final class HttpGateway {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpGateway.class);
    /** API Gateway's limit on the request line and headers together. */
    private static final int MAX_HEADER_BYTES = 10 * 1024;
    private static final String JSON = "application/json; charset=utf-8";

    record BoundRoute(SamTemplate.Route route, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> handler) {
    }

    /** An answer the gateway gives itself. */
    private static final class Refused extends RuntimeException {
        final ApiException error;

        Refused(ApiException error) {
            super(error.getMessage(), null, false, false);
            this.error = error;
        }
    }

    private final Map<String, BoundRoute> routes = new LinkedHashMap<>();
    private final RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse> authorizer;
    private BoundRoute defaultRoute;
    private RouteTable table;
    private Server server;

    HttpGateway(RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse> authorizer) {
        this.authorizer = authorizer;
    }

    void route(SamTemplate.Route route, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> handler) {
        BoundRoute bound = new BoundRoute(route, handler);
        if (route.path().equals(SamTemplate.DEFAULT_ROUTE)) {
            defaultRoute = bound;
        } else {
            routes.put(route.routeKey(), bound);
        }
    }

    /** @return the port bound */
    int start(int port) throws IOException {
        table = RouteTable.of(routes.keySet());
        QueuedThreadPool threads = new QueuedThreadPool(32, 2);
        threads.setName("local-gateway");
        threads.setDaemon(true);
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(MAX_HEADER_BYTES);
        // The path reaches the routing as sent: it decodes each segment itself, strictly, so that a bad escape is a
        // 400 naming the route's parameter, and no Jetty normalisation ('..', '%2F') changes which route matches.
        http.setUriCompliance(UriCompliance.UNSAFE);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() { // blocking: the handlers call DynamoDB and SQS
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                serve(request, response, callback);
                return true;
            }
        });
        server.setErrorHandler(new EnvelopeErrorHandler());
        server.setStopTimeout(1000);
        try {
            server.start();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot start the local gateway: " + e, e);
        }
        return connector.getLocalPort();
    }

    void stop() {
        if (server != null) {
            try {
                server.stop();
            } catch (Exception e) {
                LOG.warn("local gateway: stopping: {}", e.toString());
            }
        }
    }

    private void serve(Request request, Response response, Callback callback) {
        String requestId = UUID.randomUUID().toString();
        try {
            APIGatewayV2HTTPResponse answer = answer(request, requestId);
            Map<String, String> headers = answer.getHeaders() == null ? Map.of() : answer.getHeaders();
            byte[] out = answer.getBody() == null ? new byte[0] : answer.getIsBase64Encoded()
                    ? Base64.getDecoder().decode(answer.getBody()) : answer.getBody().getBytes(StandardCharsets.UTF_8);
            send(response, callback, answer.getStatusCode(), headers, out);
        } catch (Refused r) {
            send(response, callback, r.error.status(), Map.of("Content-Type", JSON), bytes(ApiError.body(r.error)));
        } catch (RuntimeException | StackOverflowError e) {
            // On AWS a handler that fails is the gateway's bare 500; locally it is the contract's internal error.
            LOG.error("local gateway: request {} failed", requestId, e);
            send(response, callback, 500, Map.of("Content-Type", JSON), bytes(ApiError.internal(requestId)));
        }
    }

    private APIGatewayV2HTTPResponse answer(Request request, String requestId) {
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        String rawPath = request.getHttpURI().getPath();
        List<String> rawSegments = RouteTable.segments(rawPath == null || rawPath.isEmpty() ? "/" : rawPath);
        RouteTable.Match match = table.match(method, decode(rawSegments, method));
        Map<String, String> query = query(request.getHttpURI().getQuery());
        byte[] body = body(request);

        BoundRoute route;
        Map<String, String> parameters;
        if (match instanceof RouteTable.Found found) {
            route = routes.get(found.routeKey());
            parameters = found.parameters();
        } else if (defaultRoute != null) {
            route = defaultRoute;
            parameters = Map.of();
        } else {
            throw new Refused(new ApiException(404, "not_found", "no route " + method + " " + rawPath, List.of()));
        }
        APIGatewayV2HTTPEvent event = event(request, route, method, rawPath, parameters, query, body, requestId);
        String trace = io.metronome.observe.Trace.newHeader(); // API Gateway's: the request's trace, end to end
        if (route.route().authorized()) {
            SimpleIAMPolicyResponse auth = LocalContext.invoke("authorizer", trace,
                    c -> authorizer.handleRequest(authorizerEvent(event), c));
            if (!auth.getIsAuthorized()) {
                // API Gateway would answer a bare 403; the authorizer never denies (handlers answer 401 themselves).
                throw new Refused(new ApiException(401, "unauthorized", "the authorizer refused the request", List.of()));
            }
            event.getRequestContext().setAuthorizer(APIGatewayV2HTTPEvent.RequestContext.Authorizer.builder()
                    .withLambda(new HashMap<>(auth.getContext())).build());
        }
        return LocalContext.invoke(route.route().functionId(), trace, c -> route.handler().handleRequest(event, c));
    }

    /**
     * The path's segments, each decoded as API Gateway decodes path parameters. A malformed escape is a 400 naming
     * the route's parameter it falls in, or the path.
     */
    private List<String> decode(List<String> rawSegments, String method) {
        List<String> decoded = new ArrayList<>(rawSegments.size());
        for (int i = 0; i < rawSegments.size(); i++) {
            try {
                decoded.add(UrlDecoding.pathSegment(rawSegments.get(i)));
            } catch (IllegalArgumentException e) {
                throw new Refused(Refusals.malformedUrl(parameterAt(rawSegments, i, method), e.getMessage()));
            }
        }
        return decoded;
    }

    /** The name of the route parameter segment {@code index} is, matching the raw path; else {@code $path}. */
    private String parameterAt(List<String> rawSegments, int index, String method) {
        RouteTable.Match raw = table.match(method, rawSegments);
        String template = raw instanceof RouteTable.Found f ? f.path()
                : raw instanceof RouteTable.MethodNotAllowed m ? m.path() : null;
        String parameter = template == null ? null : RouteTable.parameterAt(template, index);
        return parameter == null ? "$path" : parameter;
    }

    /** Query parameters as API Gateway gives them: decoded, repeated names joined with commas. */
    private static Map<String, String> query(String rawQuery) {
        Map<String, String> query = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return query;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k;
            try {
                k = UrlDecoding.queryComponent(eq < 0 ? pair : pair.substring(0, eq));
            } catch (IllegalArgumentException e) {
                throw new Refused(Refusals.malformedUrl("$query", "a parameter's name: " + e.getMessage()));
            }
            String v;
            try {
                v = eq < 0 ? "" : UrlDecoding.queryComponent(pair.substring(eq + 1));
            } catch (IllegalArgumentException e) {
                throw new Refused(Refusals.malformedUrl(k, e.getMessage()));
            }
            query.merge(k, v, (a, b) -> a + "," + b);
        }
        return query;
    }

    /** The body, up to API Gateway's limit: past it, 413 without reading the rest. */
    private static byte[] body(Request request) {
        long declared = request.getLength();
        if (declared > Refusals.MAX_PAYLOAD_BYTES) {
            throw new Refused(Refusals.bodyTooLarge());
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] bytes = in.readNBytes(Refusals.MAX_PAYLOAD_BYTES + 1);
            if (bytes.length > Refusals.MAX_PAYLOAD_BYTES) {
                throw new Refused(Refusals.bodyTooLarge());
            }
            return bytes;
        } catch (IOException | IllegalStateException e) {
            throw new Refused(Refusals.unreadableBody());
        }
    }

    private static APIGatewayV2HTTPEvent event(Request request, BoundRoute route, String method, String rawPath,
                                               Map<String, String> parameters, Map<String, String> query, byte[] body,
                                               String requestId) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (HttpField f : request.getHeaders()) {
            headers.merge(f.getName().toLowerCase(Locale.ROOT), f.getValue(), (a, b) -> a + "," + b);
        }
        String routeKey = route.route().routeKey();
        String rawQuery = request.getHttpURI().getQuery();
        // API Gateway hands over text bodies as strings and anything else (or bytes that are not UTF-8) as base64.
        String text = isText(headers.get("content-type")) ? utf8(body) : null;
        return APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0")
                .withRouteKey(routeKey)
                .withRawPath(rawPath)
                .withRawQueryString(rawQuery == null ? "" : rawQuery)
                .withHeaders(headers)
                .withQueryStringParameters(query.isEmpty() ? null : query)
                .withPathParameters(parameters.isEmpty() ? null : parameters)
                .withBody(body.length == 0 ? null : text != null ? text : Base64.getEncoder().encodeToString(body))
                .withIsBase64Encoded(body.length > 0 && text == null)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withRouteKey(routeKey)
                        .withStage("$default")
                        .withRequestId(requestId)
                        .withAccountId("000000000000")
                        .withApiId("local")
                        .withDomainName("127.0.0.1")
                        .withTimeEpoch(System.currentTimeMillis())
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                .withMethod(method)
                                .withPath(rawPath)
                                .withProtocol(request.getConnectionMetaData().getProtocol())
                                .withSourceIp(Request.getRemoteAddr(request))
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
        String c = contentType.toLowerCase(Locale.ROOT);
        return c.startsWith("text/") || c.contains("json") || c.contains("xml") || c.contains("x-www-form-urlencoded");
    }

    /** The body as a string if it is UTF-8, else null (it then goes base64-encoded, unaltered). */
    private static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static byte[] bytes(Object json) {
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void send(Response response, Callback callback, int status, Map<String, String> headers, byte[] body) {
        response.setStatus(status);
        HttpFields.Mutable out = response.getHeaders();
        headers.forEach(out::put);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /**
     * What Jetty answers for requests it refuses itself (bad request line, URI or headers, broken framing, a
     * handler's failure): the contract's envelope instead of its HTML page.
     */
    private static final class EnvelopeErrorHandler extends ErrorHandler {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : 500;
            String reason = request.getAttribute(ERROR_MESSAGE) instanceof String m ? m : null;
            Throwable cause = request.getAttribute(ERROR_EXCEPTION) instanceof Throwable t ? t : null;
            ApiException error = status == 500 ? null : Refusals.protocolError(status, reason, cause);
            response.getHeaders().put("Content-Type", JSON);
            response.setStatus(error == null ? 500 : error.status());
            response.write(true, ByteBuffer.wrap(body(error)), callback);
            return true;
        }

        /** The body of a refusal sent with Jetty's own status (when it cannot make a request of what it read). */
        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            fields.put("Content-Type", JSON);
            return ByteBuffer.wrap(body(status == 500 ? null : Refusals.protocolError(status, reason, null)));
        }

        private static byte[] body(ApiException error) {
            return bytes(error == null ? ApiError.internal(UUID.randomUUID().toString()) : ApiError.body(error));
        }
    }
}
