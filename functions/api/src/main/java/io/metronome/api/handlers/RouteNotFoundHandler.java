package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.RouteTable;
import io.metronome.domain.ApiException;
import io.metronome.engine.Engine;

import java.util.List;
import java.util.Map;

/**
 * The HTTP API's {@code $default} route: every request no other route takes. A path that some route has, sent with
 * another method, is 405 {@code method_not_allowed} with an {@code Allow} header; any other path is 404
 * {@code not_found}; both in the contract's envelope, where API Gateway alone would answer its bare
 * {@code {"message": "Not Found"}}. The routes come from the OpenAPI document bundled in the jar, the same list the
 * template's routes are tested against. It needs no API key (the routes are public in that document, and a caller
 * without a key should learn that a route does not exist rather than get a 401 for it) and touches nothing.
 */
public final class RouteNotFoundHandler extends ApiFunction {
    /** Longest part of the caller's path echoed back in a message. */
    private static final int ECHOED_PATH_CHARS = 200;
    private static final RouteTable ROUTES = RouteTable.fromOpenApi();

    public RouteNotFoundHandler() {
        super(null);
    }

    public RouteNotFoundHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected boolean authenticated() {
        return false;
    }

    /** Whatever the body is, the answer is about the route: it is not parsed. */
    @Override
    protected boolean rawBody() {
        return true;
    }

    @Override
    protected Response handle(ApiRequest r) {
        String method = r.method();
        String path = r.rawPath();
        RouteTable.Match match = ROUTES.match(method, path);
        if (match instanceof RouteTable.MethodNotAllowed m) {
            return Response.error(new ApiException(405, "method_not_allowed",
                    echo(method) + " is not allowed on " + m.path() + "; it allows " + m.allowHeader(), List.of()),
                    Map.of("Allow", m.allowHeader()));
        }
        if (match instanceof RouteTable.Found f) {
            // API Gateway sends a request for a route to that route; only a stale deployment lands here with one.
            throw new ApiException(404, "not_found", "route " + f.routeKey() + " is not deployed", List.of());
        }
        throw new ApiException(404, "not_found", "no route " + echo(method) + " " + echo(path)
                + "; the API's routes are in its OpenAPI document", List.of());
    }

    private static String echo(String s) {
        return s.length() <= ECHOED_PATH_CHARS ? s : s.substring(0, ECHOED_PATH_CHARS) + "...";
    }
}
