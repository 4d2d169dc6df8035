package io.metronome.engine;

import io.metronome.domain.Definition;
import io.metronome.domain.DefinitionParser;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a redriven run goes on from, as a pure decision of its definition and its step records. */
class RedriveTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant NOW = T0.plusSeconds(3600);

    /** br chooses a or b; a goes on to a2; j joins a2 and b; end follows j. */
    private static final Definition DIAMOND = DefinitionParser.parse(Json.read("""
            {"nodes": [
              {"id": "br", "type": "branch", "config": {"branches": [{"id": "yes", "condition": "true"}]}},
              {"id": "a", "type": "transform", "config": {"expression": "1"}},
              {"id": "b", "type": "transform", "config": {"expression": "1"}},
              {"id": "a2", "type": "transform", "config": {"expression": "1"}},
              {"id": "j", "type": "transform", "config": {"expression": "1"}},
              {"id": "end", "type": "transform", "config": {"expression": "1"}}],
             "edges": [{"from": "br", "to": "a", "branchId": "yes"}, {"from": "br", "to": "b", "branchId": "default"},
                       {"from": "a", "to": "a2"}, {"from": "a2", "to": "j"}, {"from": "b", "to": "j"},
                       {"from": "j", "to": "end"}]}"""), "definition");

    /** fork runs x and y in parallel; j joins them. */
    private static final Definition FORK = DefinitionParser.parse(Json.read("""
            {"nodes": [
              {"id": "fork", "type": "transform", "config": {"expression": "1"}},
              {"id": "x", "type": "transform", "config": {"expression": "1"}},
              {"id": "y", "type": "transform", "config": {"expression": "1"}},
              {"id": "j", "type": "transform", "config": {"expression": "1"}}],
             "edges": [{"from": "fork", "to": "x"}, {"from": "fork", "to": "y"},
                       {"from": "x", "to": "j"}, {"from": "y", "to": "j"}]}"""), "definition");

    private final List<Step> steps = new ArrayList<>();
    private int second;

    /** A step record, each later than the one before (ids sort by time, as the engine's do). */
    private void step(String nodeId, StepStatus status, int attempt, String selected) {
        Instant at = T0.plusSeconds(second++);
        steps.add(new Step(Ids.derived(Ids.STEP, at, nodeId + attempt + status), "run_x", "met_x", nodeId, "transform",
                status, attempt, null, null, selected == null ? null : Json.object().put("selectedBranchId", selected),
                null, null, at, at, at, at, 1, null));
    }

    @Test
    void theFailedNodeRunsAgainFromAFirstAttemptAndNothingBeforeItDoes() {
        step("br", StepStatus.COMPLETED, 1, "yes");
        step("b", StepStatus.SKIPPED, 0, null);
        step("a", StepStatus.COMPLETED, 1, null);
        step("a2", StepStatus.FAILED, 1, null);
        step("a2", StepStatus.FAILED, 2, null);
        step("j", StepStatus.CANCELLED, 0, null); // never reached, recorded when the run closed
        step("end", StepStatus.CANCELLED, 0, null);

        Redrive.Frontier f = Redrive.frontier(DIAMOND, "run_x", 1, steps, NOW);

        assertThat(f.ready()).containsExactly("a2");
        assertThat(f.entries().get("a2").attempt()).isEqualTo(1);
        assertThat(f.entries().get("a2").stepId()).isNotIn(steps.stream().map(Step::id).toList());
        // j has heard from b (skipped, not taken) already and waits only for a2, as it did the first time
        assertThat(f.entries().get("j").phase()).isEqualTo(Phase.JOINING);
        assertThat(f.entries().get("j").progress().get("b").asBoolean()).isFalse();
        assertThat(f.entries()).doesNotContainKeys("br", "a", "b", "end");
        assertThat(f.skipped()).isEmpty();
    }

    @Test
    void aBranchThatCompletedAfterItsRunEndedHasItsPathNotTakenSkippedUnderAnIdOfTheRedrive() {
        step("br", StepStatus.COMPLETED, 1, "yes"); // completed after the run was cancelled: no hand-off was made
        for (String never : List.of("a", "b", "a2", "j", "end")) {
            step(never, StepStatus.CANCELLED, 0, null);
        }

        Redrive.Frontier first = Redrive.frontier(DIAMOND, "run_x", 1, steps, NOW);
        Redrive.Frontier again = Redrive.frontier(DIAMOND, "run_x", 1, steps, NOW);
        Redrive.Frontier second = Redrive.frontier(DIAMOND, "run_x", 2, steps, NOW);

        assertThat(first.ready()).containsExactly("a");
        assertThat(first.skipped()).extracting(s -> s.nodeId()).containsExactly("b");
        assertThat(first.skipped().get(0).stepId()).as("a repeat of the same redrive makes the same record")
                .isEqualTo(again.skipped().get(0).stepId())
                .as("another redrive makes its own").isNotEqualTo(second.skipped().get(0).stepId())
                .as("sorting after every earlier step").isGreaterThan(steps.get(steps.size() - 1).id());
        assertThat(first.entries().get("j").phase()).isEqualTo(Phase.JOINING);
    }

    @Test
    void aCancelledParallelBranchRunsAgainWhileTheCompletedOneKeepsItsArrivalAtTheJoin() {
        step("fork", StepStatus.COMPLETED, 1, null);
        step("x", StepStatus.COMPLETED, 1, null);
        step("y", StepStatus.CANCELLED, 1, null);
        step("j", StepStatus.CANCELLED, 0, null);

        Redrive.Frontier f = Redrive.frontier(FORK, "run_x", 1, steps, NOW);

        assertThat(f.ready()).containsExactly("y");
        assertThat(f.entries().get("j").phase()).isEqualTo(Phase.JOINING);
        assertThat(f.entries().get("j").progress().get("x").asBoolean()).isTrue();
    }

    @Test
    void aRedriveOfARedrivenRunGoesByEachNodesLatestStep() {
        step("fork", StepStatus.COMPLETED, 1, null);
        step("x", StepStatus.FAILED, 1, null);
        step("y", StepStatus.CANCELLED, 1, null);
        step("j", StepStatus.CANCELLED, 0, null);
        // first redrive: x and y ran again and completed, then j failed
        step("x", StepStatus.COMPLETED, 1, null);
        step("y", StepStatus.COMPLETED, 1, null);
        step("j", StepStatus.FAILED, 1, null);

        Redrive.Frontier f = Redrive.frontier(FORK, "run_x", 1, steps, NOW);

        assertThat(f.ready()).containsExactly("j");
        assertThat(f.entries()).containsOnlyKeys("j");
    }

    @Test
    void aRunCancelledBeforeItsFirstNodeRanStartsAtTheStart() {
        step("fork", StepStatus.CANCELLED, 1, null);
        step("x", StepStatus.CANCELLED, 0, null);

        Redrive.Frontier f = Redrive.frontier(FORK, "run_x", 1, steps, NOW);

        assertThat(f.ready()).containsExactly("fork");
        assertThat(f.entries()).containsOnlyKeys("fork");
    }

    @Test
    void aMapsChildrenAreLeftToTheirMapAndOnlyEndedRunsAreRedrivable() {
        step("fork", StepStatus.COMPLETED, 1, null);
        step("x", StepStatus.COMPLETED, 1, null);
        step("y", StepStatus.COMPLETED, 1, null);
        step("j[0]", StepStatus.FAILED, 1, null); // as if j were a map: its child does not count as a node
        step("j", StepStatus.FAILED, 1, null);

        assertThat(Redrive.frontier(FORK, "run_x", 1, steps, NOW).ready()).containsExactly("j");
        assertThat(Redrive.redrivable(RunStatus.FAILED)).isTrue();
        assertThat(Redrive.redrivable(RunStatus.CANCELLED)).isTrue();
        assertThat(Redrive.redrivable(RunStatus.COMPLETED)).isFalse();
        assertThat(Redrive.redrivable(RunStatus.PAUSED)).isFalse();
    }
}
