package io.metronome.engine;

import io.metronome.domain.ApiException;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.expr.Budget;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.metronome.testing.Harness.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Expressions over their budgets, saved and run on the DynamoDB emulator and ElasticMQ. */
class ExpressionBudgetRunTest {
    private static final String RECURSE = "($f := function($x){$f($x)}; $f(1))";
    private final Harness h = new Harness();

    private static String oneNode(String type, String config) {
        return """
                {"nodes": [{"id": "n", "type": "%s", "config": %s}], "edges": []}""".formatted(type, config);
    }

    @Test
    void aTransformThatNeverEndsFailsItsRunOnceWithTheLimitNamedAndTheNextRunStillCompletes() {
        Metronome bad = h.metronome(oneNode("transform", "{\"expression\": \"" + RECURSE + "\"}"));
        Metronome good = h.metronome("other-user", oneNode("transform", "{\"expression\": \"input.n + 1\"}"));

        Run failing = h.start(bad, "{}"); // the harness allows 3 attempts
        Run other = h.start(good, "{\"input\": {\"n\": 1}}");

        Run failed = h.awaitStatus(failing, RunStatus.FAILED);
        assertThat(failed.error()).contains("exceeded its " + Budget.TIME_MS + " ms budget");
        var t = h.timeline(failed);
        assertThat(t.steps()).as("a budget failure is not retried").hasSize(1);
        assertThat(t.steps().get(0).status()).isEqualTo(StepStatus.FAILED);
        assertThat(t.steps().get(0).error()).contains("ms budget");
        assertConsistent(t);
        assertThat(h.awaitStatus(other, RunStatus.COMPLETED).output().asInt()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"expression\": \"$pad('', 100000000)\"}",
            "{\"expression\": \"[1..10000000]\"}",
            "{\"expression\": \"$map([1..1000], function($i){[1..1000]})\"}"})
    void aTransformThatBuildsAHugeValueFailsWithTheSizeBudgetNamed(String config) {
        Run failed = h.awaitStatus(h.start(h.metronome(oneNode("transform", config)), "{}"), RunStatus.FAILED);

        assertThat(failed.error()).contains("exceeded its size budget");
        assertThat(h.timeline(failed).steps()).hasSize(1);
    }

    @Test
    void aRecursionThatGrowsTheStackFailsWithTheDepthBudgetNamed() {
        Run failed = h.awaitStatus(h.start(h.metronome(oneNode("transform",
                "{\"expression\": \"($f := function($x){1 + $f($x)}; $f(1))\"}")), "{}"), RunStatus.FAILED);

        assertThat(failed.error()).contains("exceeded its depth budget");
    }

    @Test
    void aBranchConditionOverItsBudgetFailsTheRunRatherThanCountingAsFalse() {
        Metronome m = h.metronome("""
                {"nodes": [
                  {"id": "b", "type": "branch", "config": {"branches": [{"id": "loop", "condition": "%s"}]}},
                  {"id": "after", "type": "transform", "config": {"expression": "'reached'"}}],
                 "edges": [{"from": "b", "to": "after", "branchId": "default"}]}""".formatted(RECURSE));

        Run failed = h.awaitStatus(h.start(m, "{}"), RunStatus.FAILED);

        assertThat(failed.error()).contains("node b failed").contains("ms budget");
        assertThat(h.timeline(failed).steps()).extracting(Step::nodeId).containsExactly("b");
    }

    @Test
    void aTemplateAndASucceedOutputAreHeldToTheSameBudget() {
        Run http = h.awaitStatus(h.start(h.metronome(oneNode("http",
                "{\"method\": \"GET\", \"url\": \"http://127.0.0.1:9/{{ " + RECURSE + " }}\"}")), "{}"), RunStatus.FAILED);
        Run succeed = h.awaitStatus(h.start(h.metronome(oneNode("succeed",
                "{\"output\": \"$pad('', -100000000)\"}")), "{}"), RunStatus.FAILED);

        assertThat(http.error()).contains("ms budget");
        assertThat(succeed.error()).contains("size budget");
    }

    @Test
    void anExpressionNestedThousandsOfLevelsDeepIsRefusedAtSaveTimeWithItsPath() {
        String deep = "(".repeat(5000) + "1" + ")".repeat(5000);
        String calls = "$abs(".repeat(3000) + "1" + ")".repeat(3000);

        assertThatThrownBy(() -> h.metronome(oneNode("transform", "{\"expression\": \"" + deep + "\"}")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.details()).anySatisfy(d -> {
                        assertThat(d.path()).isEqualTo("definition.nodes[0].config.expression");
                        assertThat(d.message()).contains("nested 5000 levels deep");
                    });
                });
        assertThatThrownBy(() -> h.metronome("""
                {"nodes": [{"id": "b", "type": "branch", "config": {"branches": [{"id": "x", "condition": "%s"}]}}],
                 "edges": []}""".formatted(calls)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.details())
                        .anySatisfy(d -> assertThat(d.path()).startsWith("definition.nodes[0].config.branches[0]")));
    }
}
