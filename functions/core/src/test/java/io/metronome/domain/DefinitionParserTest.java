package io.metronome.domain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DefinitionParserTest {

    private static ApiException invalid(String json) {
        try {
            DefinitionParser.parse(Json.read(json), "definition");
        } catch (ApiException e) {
            return e;
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void aValidGraphParsesWithItsStartNode() {
        Definition d = DefinitionParser.parse(Json.read("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}},
                           {"id": "b", "type": "delay", "config": {"seconds": 5}}],
                 "edges": [{"from": "a", "to": "b"}]}"""), "definition");
        assertThat(d.startNodeId()).isEqualTo("a");
        assertThat(d.outgoing("a")).extracting(Definition.Edge::to).containsExactly("b");
        assertThat(d.source().get("startNodeId").asText()).isEqualTo("a");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            duplicate node ids   | {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}, {"id": "a", "type": "transform", "config": {"expression": "1"}}]} | definition.nodes[1].id
            edge to nowhere      | {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}], "edges": [{"from": "a", "to": "z"}]} | definition.edges[0].to
            unknown node type    | {"nodes": [{"id": "a", "type": "teleport"}]} | definition.nodes[0].type
            expression not parsing | {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "input.("}}]} | definition.nodes[0].config.expression
            missing expression   | {"nodes": [{"id": "a", "type": "transform"}]} | definition.nodes[0].config.expression
            two start nodes      | {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}, {"id": "b", "type": "transform", "config": {"expression": "1"}}]} | definition.nodes
            a cycle              | {"nodes": [{"id": "s", "type": "transform", "config": {"expression": "1"}}, {"id": "a", "type": "transform", "config": {"expression": "1"}}, {"id": "b", "type": "transform", "config": {"expression": "1"}}], "edges": [{"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "a"}]} | definition.edges
            no nodes             | {"nodes": []} | definition.nodes
            delay without time   | {"nodes": [{"id": "a", "type": "delay", "config": {}}]} | definition.nodes[0].config
            http without method  | {"nodes": [{"id": "a", "type": "http", "config": {"url": "https://example.com"}}]} | definition.nodes[0].config.method
            http bad scheme      | {"nodes": [{"id": "a", "type": "http", "config": {"method": "GET", "url": "ftp://x"}}]} | definition.nodes[0].config.url
            branch edge without branch | {"nodes": [{"id": "b", "type": "branch", "config": {"branches": [{"id": "x", "condition": "true"}]}}, {"id": "c", "type": "transform", "config": {"expression": "1"}}], "edges": [{"from": "b", "to": "c"}]} | definition.edges[0].branchId
            edge out of succeed  | {"nodes": [{"id": "s", "type": "succeed"}, {"id": "c", "type": "transform", "config": {"expression": "1"}}], "edges": [{"from": "s", "to": "c"}]} | definition.edges[0].from
            bad retry            | {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}, "retry": {"maxAttempts": 0}}]} | definition.nodes[0].retry.maxAttempts
            """)
    void anInvalidDefinitionIsRefusedAtTheOffendingPath(String problem, String json, String path) {
        assertThat(invalid(json).details()).extracting(ApiException.ErrorDetail::path).contains(path);
    }

    @Test
    void aNodeThatCannotBeReachedIsNamed() {
        // b and c form a cycle that nothing leads into, so the start node is unique but they are unreachable
        ApiException e = invalid("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}},
                           {"id": "b", "type": "transform", "config": {"expression": "1"}},
                           {"id": "c", "type": "transform", "config": {"expression": "1"}}],
                 "edges": [{"from": "b", "to": "c"}, {"from": "c", "to": "b"}]}""");
        assertThat(e.details()).extracting(ApiException.ErrorDetail::message)
                .anyMatch(m -> m.contains("not reachable") || m.contains("cycle"));
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        ApiException e = invalid("""
                {"nodes": [{"id": "a", "type": "transform"}, {"id": "b", "type": "http", "config": {}}]}""");
        assertThat(e.details()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.code()).isEqualTo("validation_error");
    }

    @Test
    void idsAreTypedAndSortByCreation() {
        String first = Ids.next(Ids.RUN);
        String second = Ids.next(Ids.RUN);
        assertThat(first).startsWith("run_").hasSize(30);
        assertThat(second).isGreaterThan(first);
        assertThat(Ids.isValid(Ids.RUN, first)).isTrue();
        assertThat(Ids.isValid(Ids.METRONOME, first)).isFalse();
        assertThat(Ids.isValid(Ids.RUN, "run_../../etc")).isFalse();
        assertThatThrownBy(() -> RunStatus.fromWire("sleeping")).isInstanceOf(IllegalArgumentException.class);
    }
}
