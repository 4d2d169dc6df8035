package io.metronome.domain;

import io.metronome.testing.LargeDefinitions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

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

    @Test
    void aDelaysPausePolicyAndTheRunsBudgetAreKeptWithTheDefinition() {
        Definition d = DefinitionParser.parse(Json.read("""
                {"budgetCt": 250, "nodes": [{"id": "a", "type": "delay", "config": {"seconds": 5, "onPause": "freeze"}},
                           {"id": "b", "type": "delay", "config": {"seconds": 5, "onPause": "keepDeadline"}}],
                 "edges": [{"from": "a", "to": "b"}]}"""), "definition");
        assertThat(d.budgetCt()).isEqualTo(250.0);
        assertThat(d.node("a").config().get("onPause").asText()).isEqualTo("freeze");
        assertThat(DefinitionParser.parse(Json.read("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}]}"""), "definition").budgetCt())
                .isNull();
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
            delay onPause unknown | {"nodes": [{"id": "a", "type": "delay", "config": {"seconds": 5, "onPause": "stretch"}}]} | definition.nodes[0].config.onPause
            budget not a number  | {"budgetCt": "ten", "nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}]} | definition.budgetCt
            budget below zero    | {"budgetCt": -1, "nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}]} | definition.budgetCt
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
    void anUnreachableNodeIsReportedAtItsPlaceInTheRequest() {
        ApiException e = invalid("""
                {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}},
                           {"id": "b", "type": "transform", "config": {"expression": "1"}},
                           {"id": "c", "type": "transform", "config": {"expression": "1"}},
                           {"id": "d", "type": "transform", "config": {"expression": "1"}}],
                 "edges": [{"from": "a", "to": "d"}, {"from": "b", "to": "c"}, {"from": "c", "to": "b"}]}""");
        assertThat(e.details()).extracting(ApiException.ErrorDetail::path, ApiException.ErrorDetail::message)
                .containsExactly(
                        tuple("definition.nodes[1]", "node 'b' is not reachable from the start node 'a'"),
                        tuple("definition.nodes[2]", "node 'c' is not reachable from the start node 'a'"));
    }

    @Test
    void aChainAtTheNodeLimitParses() {
        Definition d = DefinitionParser.parse(Json.read(LargeDefinitions.chain(DefinitionParser.MAX_NODES)), "definition");
        assertThat(d.nodes()).hasSize(2_000);
        assertThat(d.startNodeId()).isEqualTo("c0");
        assertThat(d.incoming("c1999")).extracting(Definition.Edge::from).containsExactly("c1998");
    }

    @Test
    void oneNodeOverTheLimitIsRefusedNamingIt() {
        ApiException e = invalid(LargeDefinitions.chain(DefinitionParser.MAX_NODES + 1));
        assertThat(e.details()).extracting(ApiException.ErrorDetail::path, ApiException.ErrorDetail::message)
                .containsExactly(tuple("definition.nodes", "at most 2000 nodes"));
    }

    @Test
    void aNodeWithFiveHundredSuccessorsJoinedAgainParses() {
        Definition d = DefinitionParser.parse(Json.read(LargeDefinitions.fanOut(500, 0)), "definition");
        assertThat(d.nodes()).hasSize(502);
        assertThat(d.outgoing("fan")).hasSize(500).extracting(Definition.Edge::to).startsWith("t0", "t1").endsWith("t499");
        assertThat(d.incoming("join")).hasSize(500);
    }

    @Test
    void edgesAreLimitedAndTheLimitNamed() {
        // 2,000 nodes in a chain (1,999 edges), with shortcuts forward from c0 and c1 up to the limit: no cycle
        StringBuilder edges = new StringBuilder();
        int count = 0;
        for (int i = 1; i < 2_000; i++, count++) {
            edges.append(count == 0 ? "" : ",").append(edge("c" + (i - 1), "c" + i));
        }
        for (int i = 2; count < DefinitionParser.MAX_EDGES; i++, count++) {
            edges.append(",").append(i < 2_000 ? edge("c0", "c" + i) : edge("c1", "c" + (i - 1_995)));
        }
        String nodes = Json.read(LargeDefinitions.chain(2_000)).get("nodes").toString();
        String atTheLimit = "{\"nodes\": " + nodes + ", \"edges\": [" + edges + "]}";
        Definition d = DefinitionParser.parse(Json.read(atTheLimit), "definition");
        assertThat(d.edges()).hasSize(4_000);
        assertThat(d.outgoing("c0")).hasSize(1_999);

        ApiException e = invalid("{\"nodes\": " + nodes + ", \"edges\": [" + edges + "," + edge("c1", "c1999") + "]}");
        assertThat(e.details()).extracting(ApiException.ErrorDetail::path, ApiException.ErrorDetail::message)
                .containsExactly(tuple("definition.edges", "at most 4000 edges"));
    }

    private static String edge(String from, String to) {
        return "{\"from\": \"" + from + "\", \"to\": \"" + to + "\"}";
    }

    @Test
    void aCycleIsNamedByTheEdgeThatClosesIt() {
        ApiException e = invalid("""
                {"nodes": [{"id": "s", "type": "transform", "config": {"expression": "1"}},
                           {"id": "a", "type": "transform", "config": {"expression": "1"}},
                           {"id": "b", "type": "transform", "config": {"expression": "1"}},
                           {"id": "c", "type": "transform", "config": {"expression": "1"}}],
                 "edges": [{"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "c"},
                           {"from": "c", "to": "a"}]}""");
        assertThat(e.details()).extracting(ApiException.ErrorDetail::path, ApiException.ErrorDetail::message)
                .containsExactly(tuple("definition.edges", "the graph has a cycle through 'c' -> 'a'"));
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
