package io.metronome.expr;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every evaluation ends within its budgets, with the limit it hit named; deep nesting is refused before parsing. */
class ExpressionBudgetTest {
    private static final JsonNode CONTEXT = Json.read("{\"input\": {\"n\": 3, \"s\": \"ab\"}}");

    private static String nested(String open, String inner, String close, int levels) {
        return open.repeat(levels) + inner + close.repeat(levels);
    }

    @Test
    void anEndlessTailRecursionExceedsTheTimeBudget() {
        assertThatThrownBy(() -> Expressions.evaluate("($f := function($x){$f($x)}; $f(1))", CONTEXT))
                .isInstanceOf(ExpressionLimitException.class)
                .hasMessageContaining("exceeded its " + Budget.TIME_MS + " ms budget");
    }

    @Test
    void aLongLoopExceedsTheTimeBudget() {
        assertThatThrownBy(() -> Expressions.evaluate("$sum($map([1..10000], function($i){$sum($map([1..10000], function($j){$i * $j}))}))", CONTEXT))
                .isInstanceOf(ExpressionLimitException.class)
                .hasMessageContaining("exceeded its " + Budget.TIME_MS + " ms budget");
    }

    @Test
    void aRecursionThatGrowsTheStackExceedsTheDepthBudgetNotTheStack() {
        assertThatThrownBy(() -> Expressions.evaluate("($f := function($x){1 + $f($x)}; $f(1))", CONTEXT))
                .isInstanceOf(ExpressionLimitException.class)
                .hasMessageContaining("exceeded its depth budget");
    }

    @Test
    void aRecursionWithinTheDepthBudgetStillWorks() {
        JsonNode v = Expressions.evaluate("($f := function($x){$x <= 0 ? 0 : 1 + $f($x - 1)}; $f(100))", CONTEXT);
        assertThat(v.asInt()).isEqualTo(100);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "[1..10000000]",
            "$pad('', 100000000)",
            "$pad('x', -100000000, 'ab')",
            "$map([1..1000], function($i){[1..1000]})",
            "$reduce([1..40], function($a, $b){$a & $a}, 'x')",
            "$reduce([1..40], function($a, $b){$append($a, $a)}, [1])",
            "($s := $pad('', 900000, 'x'); $join($map([1..1000], function(){$s})))",
            "($s := $pad('', 1000, 'x'); $replace($s, 'x', $s))",
            "($a := $map([1..1000], function(){$pad('', 1000, 'x')}); $string($map([1..1000], function(){$a})))",
            "($a := $map([1..1000], function(){$pad('', 999, 'x')}); $map([1..1000], function(){$a}))",
            "$reduce([1..200], function($a, $b){{'a': $a}}, 1)",
    })
    void anExpressionThatBuildsAHugeValueExceedsTheSizeBudget(String expression) {
        assertThatThrownBy(() -> Expressions.evaluate(expression, CONTEXT))
                .isInstanceOf(ExpressionLimitException.class)
                .hasMessageContaining("exceeded its size budget");
    }

    @Test
    void guardedFunctionsKeepTheirMeaning() {
        assertThat(Expressions.evaluate("$pad('ab', 5, '-=')", CONTEXT).asText()).isEqualTo("ab-=-");
        assertThat(Expressions.evaluate("$pad('ab', -5)", CONTEXT).asText()).isEqualTo("   ab");
        assertThat(Expressions.evaluate("$pad(input.s, 1)", CONTEXT).asText()).isEqualTo("ab");
        assertThat(Expressions.evaluate("$join(['a', 'b', 'c'], '-')", CONTEXT).asText()).isEqualTo("a-b-c");
        assertThat(Expressions.evaluate("$join(['a', 'b'])", CONTEXT).asText()).isEqualTo("ab");
        assertThat(Expressions.evaluate("$replace('a-b-c', '-', '+', 1)", CONTEXT).asText()).isEqualTo("a+b-c");
        assertThat(Expressions.evaluate("$replace('a1b22', /[0-9]+/, '#')", CONTEXT).asText()).isEqualTo("a#b#");
        assertThat(Expressions.evaluate("$string({'a': [1, true]})", CONTEXT).asText()).isEqualTo("{\"a\":[1,true]}");
        assertThat(Expressions.evaluate("input.s.$string()", CONTEXT).asText()).isEqualTo("ab");
        assertThat(Expressions.evaluate("$eval('input.n + 1')", CONTEXT).asInt()).isEqualTo(4);
    }

    @Test
    void evalIsHeldToTheSameNestingAndTimeBudgets() {
        assertThatThrownBy(() -> Expressions.evaluate("$eval($join($map([1..500], function(){'('})) & '1'"
                + " & $join($map([1..500], function(){')'})))", CONTEXT))
                .isInstanceOf(ExpressionLimitException.class)
                .hasMessageContaining("nested 500 levels deep");
        assertThatThrownBy(() -> Expressions.evaluate("$eval('($f := function($x){$f($x)}; $f(1))')", CONTEXT))
                .isInstanceOf(ExpressionLimitException.class)
                .hasMessageContaining("ms budget");
    }

    @ParameterizedTest
    @ValueSource(strings = {"(", "[", "{'a':", "$abs(", "function($x){"})
    void deepNestingIsRefusedBeforeTheParserRecurses(String open) {
        String close = switch (open) {
            case "[" -> "]";
            case "{'a':", "function($x){" -> "}";
            default -> ")";
        };
        String deep = nested(open, "1", close, 5000);

        assertThat(Expressions.syntaxError(deep)).contains("nested 5000 levels deep");
        assertThatThrownBy(() -> Expressions.evaluate(deep, CONTEXT)).isInstanceOf(ExpressionLimitException.class);
        assertThat(Expressions.syntaxError(nested(open, "1", close, Budget.MAX_NESTING))).isNull();
    }

    @Test
    void bracketsInStringsAndCommentsAreNotNesting() {
        String text = "'" + "(".repeat(500) + "' & \"[[[\" & /* {{{{ */ `(((` ";
        assertThat(Expressions.syntaxError("'" + "(".repeat(500) + "' & \"[\\\"[\"")).isNull();
        assertThat(Budget.nestingProblem(text)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"+", "-", "&", " and ", "."})
    void aLongChainOfOperatorsIsRefusedNotAStackOverflow(String operator) {
        String chain = "1" + (operator + "1").repeat(20_000);
        String problem = Expressions.syntaxError(chain);
        if (problem != null) {
            assertThat(problem).doesNotContain("StackOverflow");
        }
        assertThatThrownBy(() -> Expressions.evaluate(chain, CONTEXT))
                .isInstanceOf(Expressions.ExpressionException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("StackOverflowError"));
    }

    @Test
    void aStackOverflowInsideTheLibraryBecomesTheDepthLimit() {
        // Data nested far deeper than any expression: the library's deep equality recurses over it.
        String deep = "$reduce([1..5000], function($a, $b){{'a': $a}}, 1)";
        try {
            Expressions.evaluate("(" + deep + ") = (" + deep + ")", CONTEXT);
        } catch (Expressions.ExpressionException e) {
            assertThat(e.getMessage()).doesNotContain("java.lang.StackOverflowError");
        }
    }

    /** A pattern that backtracks without end, over text a webhook sender controls: the time budget still holds. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"$match(input.t, /(.*a){12}$/)", "$contains(input.t, /(.*a){12}$/)",
            "$split(input.t, /(.*a){12}$/)", "$replace(input.t, /(.*a){12}$/, 'x')"})
    void aBacktrackingRegularExpressionExceedsTheTimeBudget(String expression) {
        // java.util.regex takes minutes over this (the pattern's 12 nested .* try every split of 40 characters).
        JsonNode context = Json.read("{\"input\": {\"t\": \"" + "a".repeat(40) + "!\"}}");
        assertThatThrownBy(() -> Expressions.evaluate(expression, context))
                .isInstanceOf(ExpressionLimitException.class)
                .hasMessageContaining("exceeded its " + Budget.TIME_MS + " ms budget");
    }

    @Test
    void regularExpressionFunctionsKeepTheirMeaning() {
        JsonNode context = Json.read("{\"input\": {\"t\": \"a1b22c333\"}}");
        assertThat(Expressions.evaluate("$match(input.t, /[0-9]+/).match", context).toString()).isEqualTo("[\"1\",\"22\",\"333\"]");
        assertThat(Expressions.evaluate("$match(input.t, /[0-9]+/)[1].index", context).asInt()).isEqualTo(3);
        assertThat(Expressions.evaluate("$contains(input.t, /b2+/)", context).asBoolean()).isTrue();
        assertThat(Expressions.evaluate("$contains(input.t, 'zz')", context).asBoolean()).isFalse();
        assertThat(Expressions.evaluate("$split(input.t, /[0-9]+/)", context).toString()).isEqualTo("[\"a\",\"b\",\"c\",\"\"]");
        assertThat(Expressions.evaluate("$split(input.t, 'b', 1)", context).toString()).isEqualTo("[\"a1\"]");
        assertThat(Expressions.evaluate("$replace(input.t, /[0-9]+/, '#')", context).asText()).isEqualTo("a#b#c#");
    }

    /** Many evaluations in one node attempt (templates in a URL and headers, say) share one budget together. */
    @Test
    void theEvaluationsOfOneAttemptShareABudget() {
        String slow = "$sum($map([1..3000], function($i){$sum($map([1..300], function($j){$i * $j}))}))";
        assertThatThrownBy(() -> Budget.forAttempt(() -> {
            for (int i = 0; i < 1000; i++) {
                try {
                    Expressions.evaluate(slow, CONTEXT);
                } catch (ExpressionLimitException e) {
                    if (e.getMessage().contains("node attempt")) {
                        throw e;
                    }
                    // this one evaluation's own second ran out first: the next one gets less
                }
            }
            return null;
        })).isInstanceOf(ExpressionLimitException.class)
                .hasMessageContaining("exceeded the " + Budget.ATTEMPT_TIME_MS + " ms budget of its node attempt");
        assertThat(Expressions.evaluate("1 + 1", CONTEXT).asInt()).as("outside an attempt, its own budget only").isEqualTo(2);
    }
}
