package io.metronome.api.handlers;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import io.metronome.domain.Json;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The console through its Lambda handler, with API Gateway's events for its three routes. */
class ConsoleHandlerTest {
    private final ConsoleHandler handler = new ConsoleHandler();

    private APIGatewayV2HTTPResponse get(String path, Map<String, String> headers) {
        Map<String, String> parameters = path.startsWith("/console/") ? Map.of("proxy", path.substring("/console/".length())) : null;
        APIGatewayV2HTTPEvent event = APIGatewayV2HTTPEvent.builder().withVersion("2.0").withRawPath(path)
                .withHeaders(headers).withPathParameters(parameters)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder().withRequestId("req-1")
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder().withMethod("GET").withPath(path).build())
                        .build()).build();
        return handler.handleRequest(event, null);
    }

    @Test
    void theRootSendsTheBrowserToTheConsole() {
        APIGatewayV2HTTPResponse r = get("/", Map.of());
        assertThat(r.getStatusCode()).isEqualTo(302);
        assertThat(r.getHeaders()).containsEntry("Location", "/console");
    }

    @Test
    void thePageIsAskedForAgainEachTimeAndEveryFileItNamesIsServedForGoodWithItsType() {
        APIGatewayV2HTTPResponse page = get("/console", Map.of());
        assertThat(page.getStatusCode()).isEqualTo(200);
        assertThat(page.getHeaders()).containsEntry("Content-Type", "text/html; charset=utf-8")
                .containsEntry("Cache-Control", "no-cache").containsKey("ETag")
                .containsEntry("X-Content-Type-Options", "nosniff").containsEntry("Referrer-Policy", "no-referrer");
        assertThat(page.getHeaders().get("Content-Security-Policy")).startsWith("default-src 'self'");
        Matcher refs = Pattern.compile("(?:src|href)=\"(/console/[^\"]+)\"").matcher(page.getBody());
        int files = 0;
        java.util.Deque<String> toFetch = new java.util.ArrayDeque<>();
        while (refs.find()) {
            toFetch.add(refs.group(1));
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (!toFetch.isEmpty()) {
            String path = toFetch.pop();
            if (!seen.add(path)) {
                continue;
            }
            APIGatewayV2HTTPResponse file = get(path, Map.of());
            assertThat(file.getStatusCode()).as(path).isEqualTo(200);
            assertThat(file.getHeaders()).as(path).containsEntry("Cache-Control", "public, max-age=31536000, immutable");
            assertThat(file.getHeaders().get("Content-Type")).as(path)
                    .isEqualTo(path.endsWith(".css") ? "text/css; charset=utf-8" : path.endsWith(".svg")
                            ? "image/svg+xml; charset=utf-8" : "text/javascript; charset=utf-8");
            files++;
            // a module's imports are served too, at the names it imports them by
            Matcher imports = Pattern.compile("from\\s*'\\./([^']+)'").matcher(file.getBody());
            String dir = path.substring(0, path.lastIndexOf('/') + 1);
            while (imports.find()) {
                toFetch.add(dir + imports.group(1));
            }
        }
        assertThat(files).as("the icon, the stylesheet, dagre and the app's modules").isGreaterThanOrEqualTo(8);
    }

    @Test
    void aBrowserThatHasThePageGetsA304() {
        String tag = get("/console", Map.of()).getHeaders().get("ETag");
        Map<String, String> headers = new HashMap<>();
        headers.put("If-None-Match", tag);
        APIGatewayV2HTTPResponse again = get("/console", headers);
        assertThat(again.getStatusCode()).isEqualTo(304);
        assertThat(again.getBody()).isEmpty();
        headers.put("If-None-Match", "\"other\"");
        assertThat(get("/console", headers).getStatusCode()).isEqualTo(200);
    }

    @Test
    void anyOtherFileIsA404InTheEnvelope() {
        for (String path : new String[]{"/console/app.js", "/console/../template.yaml", "/console/index.html", "/console/lib/dagre.js"}) {
            APIGatewayV2HTTPResponse r = get(path, Map.of());
            assertThat(r.getStatusCode()).as(path).isEqualTo(404);
            assertThat(Json.read(r.getBody()).path("error").path("code").asText()).isEqualTo("not_found");
        }
    }
}
