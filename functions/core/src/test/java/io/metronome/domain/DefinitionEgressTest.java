package io.metronome.domain;

import io.metronome.egress.EgressPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Saving a definition whose http node has a literal URL the egress policy refuses. */
class DefinitionEgressTest {
    private static final EgressPolicy DEPLOYED = EgressPolicy.deployed("10.20.0.0/16");

    private static String withUrl(String url) {
        return """
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}},
                           {"id": "b", "type": "transform", "config": {"expression": "2"}},
                           {"id": "call", "type": "http", "config": {"method": "GET", "url": "%s"}}],
                 "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "call"}]}""".formatted(url);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8000/", "http://localhost/", "http://[::1]:3000/", "https://169.254.169.254/x",
            "http://10.0.0.1/", "http://192.168.1.1/", "http://[::ffff:10.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/"})
    void aRefusedLiteralUrlIsAnErrorAtItsPath(String url) {
        assertThatThrownBy(() -> DefinitionParser.parse(Json.read(withUrl(url)), "definition", DEPLOYED))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.details()).extracting(ApiException.ErrorDetail::path).containsExactly("definition.nodes[2].config.url");
                    assertThat(e.details().get(0).message()).startsWith("refused by the egress policy");
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://api.example.com/hook", "http://10.20.3.4/", "http://internal-service/x",
            "{{ input.url }}", "http://127.0.0.1:{{ input.port }}/"})
    void publicAllowListedNamedOrTemplatedUrlsAreLeftToTheConnection(String url) {
        assertThat(DefinitionParser.parse(Json.read(withUrl(url)), "definition", DEPLOYED).nodes()).hasSize(3);
    }

    @Test
    void theLocalPolicyAcceptsLoopbackButNotTheStacksPorts() {
        EgressPolicy local = EgressPolicy.local("", Set.of(8000));
        assertThat(DefinitionParser.parse(Json.read(withUrl("http://localhost:9999/")), "definition", local)).isNotNull();
        assertThatThrownBy(() -> DefinitionParser.parse(Json.read(withUrl("http://127.0.0.1:8000/")), "definition", local))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.details().get(0).message())
                        .contains("the local stack's own port"));
    }

    @Test
    void aStoredDefinitionIsReadWithoutThePolicy() {
        assertThat(DefinitionParser.parse(Json.read(withUrl("http://127.0.0.1:8000/")), "definition").nodes()).hasSize(3);
    }

    @Test
    void aUrlWithoutAValidHostIsAnError() {
        assertThatThrownBy(() -> DefinitionParser.parse(Json.read(withUrl("http://bad_host/")), "definition", DEPLOYED))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.details())
                        .extracting(ApiException.ErrorDetail::path).containsExactly("definition.nodes[2].config.url"));
    }
}
