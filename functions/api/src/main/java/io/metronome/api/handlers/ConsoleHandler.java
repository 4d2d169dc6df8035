package io.metronome.api.handlers;

import io.metronome.api.ApiFunction;
import io.metronome.api.ApiRequest;
import io.metronome.api.console.ConsoleAssets;
import io.metronome.domain.ApiException;
import io.metronome.engine.Engine;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The web console: {@code GET /} sends the browser to {@code /console}, which is the page, and
 * {@code GET /console/{proxy+}} its files ({@link ConsoleAssets}). Public and touching nothing: the page asks for
 * the API key and sends it on each API call it makes, from the same origin. The page is never cached without
 * asking again (an ETag makes that a 304); the files are named after their content, so they are cached for good.
 */
public final class ConsoleHandler extends ApiFunction {
    /** Built once per container (and so into a SnapStart snapshot): the files never change while it runs. */
    private static final ConsoleAssets ASSETS = ConsoleAssets.load();
    static final String PAGE = "/console";
    /**
     * Only the console's own files and the API on the same origin; no inline script or style, no framing, no
     * other origin (nothing from a CDN), no referrer (a run's address stays in the browser).
     */
    static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer");

    public ConsoleHandler() {
        super(null);
    }

    public ConsoleHandler(Engine engine) {
        super(engine);
    }

    @Override
    protected boolean authenticated() {
        return false;
    }

    /** A GET has nothing to parse, whatever a caller sends with it. */
    @Override
    protected boolean rawBody() {
        return true;
    }

    @Override
    protected Response handle(ApiRequest r) {
        String file = r.path("proxy");
        if (file == null && !PAGE.equals(r.rawPath())) {
            return text(302, "text/plain; charset=utf-8", "", Map.of("Location", PAGE, "Cache-Control", "no-cache"));
        }
        if (file == null) {
            Map<String, String> headers = Map.of("Cache-Control", "no-cache", "ETag", ASSETS.indexTag());
            if (ASSETS.indexTag().equals(r.headers().get("if-none-match"))) {
                return text(304, "text/html; charset=utf-8", "", headers);
            }
            return text(200, "text/html; charset=utf-8", ASSETS.index(), headers);
        }
        ConsoleAssets.Asset asset = ASSETS.asset(file);
        if (asset == null) {
            throw new ApiException(404, "not_found", "the console has no file " + echo(file)
                    + "; its files are named in the page at " + PAGE, List.of());
        }
        return text(200, asset.contentType(), asset.body(), Map.of("Cache-Control", "public, max-age=31536000, immutable"));
    }

    private static Response text(int status, String contentType, String body, Map<String, String> headers) {
        Map<String, String> all = new HashMap<>(SECURITY_HEADERS);
        all.putAll(headers);
        return Response.text(status, contentType, body, all);
    }

    private static String echo(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
