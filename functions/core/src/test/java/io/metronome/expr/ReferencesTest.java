package io.metronome.expr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * A worker loads only the outputs {@link References} names, so each case pins the exact set: a missing id is lost
 * data, and a dynamic use must be reported with the use named.
 */
class ReferencesTest {

    private static Arguments reads(String expression, String... ids) {
        return arguments(expression, Set.of(ids));
    }

    static Stream<Arguments> staticReads() {
        return Stream.of(
                reads("nodes.a", "a"),
                reads("nodes.a.b.c", "a"),
                reads("nodes.`my-id`.status", "my-id"),
                reads("nodes.`fetch-user_2`", "fetch-user_2"),
                reads("\"nodes\".a", "a"), // a string literal step is a name
                reads("$uppercase(nodes.a.name)", "a"),
                reads("$count(nodes.a.items[price > nodes.b.min])", "a", "b"),
                reads("{\"x\": nodes.a.x, nodes.b.name: 1}", "a", "b"),
                reads("[nodes.a.x, [nodes.b.x]]", "a", "b"),
                reads("nodes.a.name & \"-\" & nodes.b.name", "a", "b"),
                reads("nodes.a.x > 0 ? nodes.b : nodes.c", "a", "b", "c"),
                reads("($t := nodes.a.x; $t * 2 + nodes.b.x)", "a", "b"),
                reads("$map(input.items, function($i){ $i.price * nodes.rate.x })", "rate"),
                reads("(function(){ nodes.a.x })()", "a"),
                reads("$$.nodes.a.x", "a"),
                reads("$.nodes.a.x", "a"),
                reads("nodes.a@$v.b", "a", "b"), // after @, the next step runs against nodes again
                reads("input@$i.nodes.a", "a"),
                reads("nodes.a ~> $keys()", "a"),
                reads("input.items^(nodes.order.x)", "order"),
                reads("input.items{$string(price): nodes.label.name}", "label"),
                reads("$sift(input, function($v, $k){ $k in nodes.allowed.items.price })", "allowed"),
                reads("input ~> | items | {\"n\": nodes.a.x} |", "a"),
                reads("-nodes.a.x", "a"),
                reads("nodes.a.x in [1..nodes.b.x]", "a", "b"),
                reads("$lookup(nodes.a, \"x\")", "a"),
                // Inside a predicate the path starts at the item, but counting it costs only a load.
                reads("input.items[price > nodes.total.x].price", "total"),
                reads("input.items.(nodes.inner.x)", "inner"),
                reads("input.items.nodes.x"),
                reads("input.items[$.nodes.x = 1]"),
                reads("$nodes.a"),
                reads("($nodes := {\"a\": 1}; $nodes.a)"),
                reads("$x.nodes.a"),
                reads("\"nodes.a\""),
                reads("input.text & 'nodes.a' & \"nodes.b\""),
                reads("/* nodes.a */ input.x"),
                reads("input.x & /* $keys(nodes) */ \"!\""),
                reads("$contains(input.text, \"nodes.b\")"),
                reads("run.id & $$.run.id"));
    }

    @ParameterizedTest
    @MethodSource("staticReads")
    void readsTheNodesNamedInTheExpression(String expression, Set<String> ids) {
        References refs = References.of(expression);
        assertThat(refs.nodes()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(refs.dynamicNodesUse()).isNull();
    }

    /** The check that matters: evaluated with only the outputs named, each expression gives what it gave with all. */
    @ParameterizedTest
    @MethodSource("staticReads")
    void theNamedOutputsAloneGiveTheSameResult(String expression, Set<String> ignored) {
        ObjectNode all = context();
        ObjectNode only = all.deepCopy();
        Set<String> named = References.of(expression).nodes();
        ((ObjectNode) only.get("nodes")).retain(named);
        assertThat(Expressions.evaluate(expression, only)).isEqualTo(Expressions.evaluate(expression, all));
    }

    /** Every output differs, and each has what the expressions above look for. */
    private static ObjectNode context() {
        ObjectNode ctx = (ObjectNode) Json.read("{\"input\": {\"x\": 1, \"text\": \"t\", \"items\": [{\"price\": 5,"
                + " \"nodes\": {\"x\": 1}}, {\"price\": 1}]}, \"run\": {\"id\": \"r1\"}}");
        ObjectNode nodes = ctx.putObject("nodes");
        int k = 1;
        for (String id : List.of("a", "b", "c", "my-id", "fetch-user_2", "rate", "order", "label", "allowed", "total",
                "inner", "x", "unused")) {
            nodes.set(id, Json.read("{\"x\": " + k + ", \"name\": \"n" + k + "\", \"min\": " + (k % 3)
                    + ", \"status\": \"s" + k + "\", \"items\": [{\"price\": " + k + "}, {\"price\": " + (k + 4)
                    + "}]}"));
            k++;
        }
        return ctx;
    }

    static Stream<Arguments> dynamicUses() {
        return Stream.of(
                arguments("nodes", "nodes"),
                arguments("$keys(nodes)", "$keys(nodes)"),
                arguments("$lookup(nodes, input.key)", "$lookup(nodes, input.key)"),
                arguments("nodes[0]", "nodes[...]"),
                arguments("nodes[status = 'ok'].x", "nodes[...]"),
                arguments("nodes.*", "nodes.*"),
                arguments("nodes.*.x", "nodes.*"),
                arguments("nodes.**.x", "nodes.**"),
                arguments("nodes.($x)", "nodes.($x)"),
                arguments("nodes.$k", "nodes.$k"),
                arguments("nodes{'k': x}", "nodes{...}"),
                arguments("nodes@$n.a", "nodes@$n"),
                arguments("nodes ~> $keys()", "nodes ~> $keys()"),
                arguments("input@$i.nodes", "input@$i.nodes"),
                arguments("$count(nodes.a.x) + $count($keys(nodes))", "$keys(nodes)"),
                arguments("$$", "$$"),
                arguments("$$.nodes", "$$.nodes"),
                arguments("$$.nodes[0]", "$$.nodes[...]"),
                arguments("$$.*", "$$.*"),
                arguments("$$^(x)", "$$^(...)"),
                arguments("$", "$"),
                arguments("$[0]", "$[...]"),
                arguments("$keys($$)", "$keys($$)"),
                arguments("$keys()", "$keys()"),
                arguments("$string()", "$string()"),
                arguments("$spread()", "$spread()"),
                arguments("$clone()", "$clone()"),
                arguments("$lookup('nodes')", "$lookup(\"nodes\")"),
                arguments("'nodes' ~> $lookup()", "\"nodes\" ~> $lookup()"),
                arguments("$sift(function($v){$v})", "$sift(function(...){...})"),
                arguments("$each(function($v, $k){$k})", "$each(function(...){...})"),
                arguments("$eval('nodes.a')", "$eval(\"nodes.a\")"),
                arguments("($f := $keys; $f())", "$keys as a function value"),
                arguments("(function(){ $keys() })()", "$keys()"),
                arguments("$map([1], function($x){ $ })", "$"),
                arguments("(function($o)<o-:o>{$o})()", "a function signature with a context (-) parameter"),
                arguments("input.%", "%"),
                arguments("*", "*"),
                arguments("**.x", "**"));
    }

    @ParameterizedTest
    @MethodSource("dynamicUses")
    void aDynamicUseIsReportedByName(String expression, String use) {
        References refs = References.of(expression);
        assertThat(refs.dynamicNodesUse()).isEqualTo(use);
        assertThat(refs.readsNodesDynamically()).isTrue();
        assertThat(refs.problem()).isEqualTo("reads nodes dynamically (" + use + "); refer to outputs as nodes.<nodeId>");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "$map(input.items, $string)",   // a higher-order built-in calls it with no context
            "input.items ~> $map($string)",
            "input ~> $string",
            "input ~> $lookup('k')",        // ~> supplies the first argument
            "$string(input) & $keys(input)",
            "$lookup(input, 'k')",
            "input.items.$keys()",          // the context there is an item
            "input.items[$ > 2]",
            "input.items.($)",
            "input.items[nodes = 1]",       // an item's own field named nodes
            "input.items.nodes",
            "input.items{nodes: 1}",
            "$boolean()",
    })
    void aUseThatCannotReachTheRootsNodesIsNotDynamic(String expression) {
        assertThat(References.of(expression).dynamicNodesUse()).isNull();
    }

    @Test
    void theRootItselfIsReadWholeWhenItEscapes() {
        assertThat(References.of("$$")).isEqualTo(new References(Set.of(), true, true, true, "$$"));
        assertThat(References.of("$keys()").input()).isTrue();
    }

    @Test
    void inputItemAndIndexAreReportedEachOnTheirOwn() {
        assertThat(References.of("input")).isEqualTo(new References(Set.of(), true, false, false, null));
        assertThat(References.of("input.a.b")).isEqualTo(new References(Set.of(), true, false, false, null));
        assertThat(References.of("$$.input.a")).isEqualTo(new References(Set.of(), true, false, false, null));
        assertThat(References.of("item.price * index")).isEqualTo(new References(Set.of(), false, true, true, null));
        assertThat(References.of("$.item")).isEqualTo(new References(Set.of(), false, true, false, null));
        assertThat(References.of("$string(index)")).isEqualTo(new References(Set.of(), false, false, true, null));
        assertThat(References.of("nodes.a.x")).isEqualTo(new References(Set.of("a"), false, false, false, null));
        assertThat(References.of("run.id")).isEqualTo(References.NONE);
    }

    @Test
    void aFieldOfTheSameNameFurtherDownIsNotThePart() {
        assertThat(References.of("nodes.a.input.item.index"))
                .isEqualTo(new References(Set.of("a"), false, false, false, null));
        assertThat(References.of("$v.input")).isEqualTo(References.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nodes.a +", "nodes.", "(nodes.a", "{\"a\": }", "$f(", "nodes.1"})
    void anExpressionThatDoesNotParseIsRefused(String expression) {
        assertThatThrownBy(() -> References.of(expression))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("expression does not parse");
    }

    @Test
    void anExpressionNestedTooDeeplyIsRefusedBeforeParsing() {
        String deep = "(".repeat(Budget.MAX_NESTING + 1) + "nodes.a" + ")".repeat(Budget.MAX_NESTING + 1);
        assertThatThrownBy(() -> References.of(deep))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nested");
    }

    @Test
    void severalExpressionsReadWhatEachDoesAndKeepTheFirstDynamicUse() {
        References all = References.ofAll(List.of("nodes.a.x", "input.q", "$keys(nodes)", "nodes.b", "nodes.*"));
        assertThat(all).isEqualTo(new References(Set.of("a", "b"), true, false, false, "$keys(nodes)"));
        assertThat(References.ofAll(List.of())).isEqualTo(References.NONE);
        assertThat(References.of("item").plus(References.of("nodes.c")))
                .isEqualTo(new References(Set.of("c"), false, true, false, null));
    }

    @Test
    void aTemplateReadsWhatItsExpressionsRead() {
        assertThat(References.ofTemplate("https://api.example.com/{{ nodes.`get-user`.id }}/x?q={{ input.q }}"))
                .isEqualTo(new References(Set.of("get-user"), true, false, false, null));
        assertThat(References.ofTemplate("no expressions, nodes.a")).isEqualTo(References.NONE);
    }

    @Test
    void theResultCannotBeChangedAfterwards() {
        References refs = References.of("nodes.a");
        assertThatThrownBy(() -> refs.nodes().add("b")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(refs.problem()).isNull();
    }
}
