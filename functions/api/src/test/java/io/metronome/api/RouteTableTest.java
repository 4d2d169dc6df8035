package io.metronome.api;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouteTableTest {
    private static final RouteTable ROUTES = RouteTable.of(List.of(
            "GET /health",
            "POST /v1/metronomes", "GET /v1/metronomes",
            "GET /v1/metronomes/{metronomeId}", "PUT /v1/metronomes/{metronomeId}",
            "GET /v1/metronomes/{metronomeId}/runs", "POST /v1/metronomes/{metronomeId}/runs",
            "GET /v1/metronomes/{metronomeId}/runs/{runId}",
            "POST /v1/metronomes/{metronomeId}/runs/{runId}/pause",
            "GET /v1/metronomes/special", "DELETE /v1/metronomes/{metronomeId}/runs/{runId}"));

    @Test
    void aTemplateMatchesOneNonEmptySegmentPerVariableAndNamesIt() {
        assertThat(ROUTES.match("GET", "/v1/metronomes/met_1/runs/run_2")).isEqualTo(new RouteTable.Found("GET",
                "/v1/metronomes/{metronomeId}/runs/{runId}", Map.of("metronomeId", "met_1", "runId", "run_2")));
        assertThat(ROUTES.match("post", "/v1/metronomes/met_1/runs/run_2/pause"))
                .isInstanceOfSatisfying(RouteTable.Found.class, f -> assertThat(f.routeKey())
                        .isEqualTo("POST /v1/metronomes/{metronomeId}/runs/{runId}/pause"));
        assertThat(ROUTES.match("GET", "/v1/metronomes//runs")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(ROUTES.match("GET", "/v1/metronomes/met_1/runs/")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(ROUTES.match("GET", "/v1/metronomes/met_1/runs/run_2/pause/more")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(ROUTES.match("GET", "/v1/metronomes/")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(ROUTES.match("GET", "/")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(ROUTES.match("GET", "/v1/nowhere")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(ROUTES.match("GET", "/HEALTH")).as("paths are case-sensitive").isInstanceOf(RouteTable.NotFound.class);
    }

    @Test
    void aLiteralSegmentIsPreferredToAVariableButAnotherMethodFallsBackToTheVariable() {
        assertThat(ROUTES.match("GET", "/v1/metronomes/special"))
                .isEqualTo(new RouteTable.Found("GET", "/v1/metronomes/special", Map.of()));
        assertThat(ROUTES.match("PUT", "/v1/metronomes/special"))
                .isEqualTo(new RouteTable.Found("PUT", "/v1/metronomes/{metronomeId}", Map.of("metronomeId", "special")));
    }

    @Test
    void aKnownPathWithAnotherMethodIsMethodNotAllowedWithEveryMethodThePathHas() {
        assertThat(ROUTES.match("DELETE", "/v1/metronomes/met_1")).isInstanceOfSatisfying(RouteTable.MethodNotAllowed.class,
                m -> {
                    assertThat(m.path()).isEqualTo("/v1/metronomes/{metronomeId}");
                    assertThat(m.allowHeader()).isEqualTo("GET, PUT");
                });
        assertThat(ROUTES.match("POST", "/v1/metronomes/special")).isInstanceOfSatisfying(RouteTable.MethodNotAllowed.class,
                m -> assertThat(m.allowHeader()).as("the union of the templates that match").isEqualTo("GET, PUT"));
        assertThat(ROUTES.match("PUT", "/v1/metronomes/met_1/runs/run_2")).isInstanceOfSatisfying(
                RouteTable.MethodNotAllowed.class, m -> assertThat(m.allowHeader()).isEqualTo("DELETE, GET"));
        assertThat(ROUTES.match("HEAD", "/health")).isInstanceOfSatisfying(RouteTable.MethodNotAllowed.class,
                m -> assertThat(m.allowed()).containsExactly("GET"));
        assertThat(ROUTES.match("BREW", "/v1/metronomes")).isInstanceOfSatisfying(RouteTable.MethodNotAllowed.class,
                m -> assertThat(m.allowHeader()).isEqualTo("GET, POST"));
    }

    @Test
    void aGreedyVariableTakesTheRestOfThePathButNeverNothingAndYieldsToAnyOtherTemplate() {
        RouteTable routes = RouteTable.of(List.of("GET /console", "GET /console/{proxy+}", "GET /console/{page}/x",
                "GET /console/fixed", "GET /"));
        assertThat(routes.match("GET", "/console/app.js"))
                .isEqualTo(new RouteTable.Found("GET", "/console/{proxy+}", Map.of("proxy", "app.js")));
        assertThat(routes.match("GET", "/console/lib/dagre.js"))
                .isEqualTo(new RouteTable.Found("GET", "/console/{proxy+}", Map.of("proxy", "lib/dagre.js")));
        assertThat(routes.match("GET", "/console/a//b/"))
                .isEqualTo(new RouteTable.Found("GET", "/console/{proxy+}", Map.of("proxy", "a//b/")));
        assertThat(routes.match("GET", "/console")).isEqualTo(new RouteTable.Found("GET", "/console", Map.of()));
        assertThat(routes.match("GET", "/")).isEqualTo(new RouteTable.Found("GET", "/", Map.of()));
        assertThat(routes.match("GET", "/console/")).as("an empty rest").isInstanceOf(RouteTable.NotFound.class);
        assertThat(routes.match("GET", "/console/fixed")).as("a literal first")
                .isEqualTo(new RouteTable.Found("GET", "/console/fixed", Map.of()));
        assertThat(routes.match("GET", "/console/p/x")).as("a single-segment variable before the greedy one")
                .isEqualTo(new RouteTable.Found("GET", "/console/{page}/x", Map.of("page", "p")));
        assertThat(routes.match("POST", "/console/a/b")).isInstanceOfSatisfying(RouteTable.MethodNotAllowed.class,
                m -> assertThat(m.path()).isEqualTo("/console/{proxy+}"));
        assertThat(RouteTable.parameterAt("/console/{proxy+}", 3)).isEqualTo("proxy");
        assertThat(RouteTable.parameterAt("/console/{proxy+}", 1)).isEqualTo("proxy");
        assertThat(RouteTable.parameterAt("/console/{proxy+}", 0)).isNull();
        assertThat(RouteTable.parameterAt("/v1/metronomes/{metronomeId}", 2)).isEqualTo("metronomeId");
        assertThat(RouteTable.parameterAt("/v1/metronomes/{metronomeId}", 3)).isNull();
    }

    @Test
    void segmentsArePassedAsGivenSoACallerCanDecodeThemFirst() {
        assertThat(ROUTES.match("GET", List.of("v1", "metronomes", "a/b", "runs")))
                .isEqualTo(new RouteTable.Found("GET", "/v1/metronomes/{metronomeId}/runs", Map.of("metronomeId", "a/b")));
        assertThat(RouteTable.segments("/a//b/")).containsExactly("a", "", "b", "");
    }

    @Test
    void theBundledOpenApiDocumentGivesEveryOperationAsARoute() {
        RouteTable bundled = RouteTable.fromOpenApi();
        assertThat(bundled.routeKeys()).contains("GET /health", "POST /v1/metronomes",
                "POST /v1/metronomes/{metronomeId}/runs/{runId}/pause", "POST /v1/hooks/{metronomeId}");
        assertThat(bundled.routeKeys()).allMatch(k -> k.matches("(GET|PUT|POST|DELETE|PATCH) /\\S*"));
    }

    @Test
    void aRouteKeyWithoutMethodAndPathIsRefused() {
        assertThatThrownBy(() -> RouteTable.of(List.of("/health"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RouteTable.of(List.of("GET health"))).isInstanceOf(IllegalArgumentException.class);
    }
}
