package io.metronome.engine;

import io.metronome.domain.Definition;
import io.metronome.domain.DefinitionParser;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A map's decisions about its children, as pure functions of its progress and the run's frontier. */
class MapProgressTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    private static final Definition DEF = DefinitionParser.parse(Json.read("""
            {"nodes": [{"id": "m", "type": "map", "config": {"items": "input", "maxConcurrency": 3,
                        "toleratedFailureCount": 1, "iterator": {"type": "transform", "config": {"expression": "item"}}}}]}"""),
            "definition");

    private static Run run(RunStatus status, int childrenInFlight) {
        Map<String, NodeState> frontier = new LinkedHashMap<>();
        frontier.put("m", NodeState.pending("m", 1, NOW, null));
        for (int i = 0; i < childrenInFlight; i++) {
            frontier.put(Definition.childId("m", i), NodeState.pending(Definition.childId("m", i), 1, NOW, null));
        }
        return new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, status, null, null, null, null, NOW,
                null, null, null, 0, 3, 0, null, null, null, NOW, NOW, null, null, 1, frontier,
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), 0, 0, 0), null, false, false);
    }

    @Test
    void aMapFillsOnlyItsFreeSlotsWithinTheBudgetAndNothingWhilePaused() {
        MapProgress p = new MapProgress(10, 1, 0, 0);

        var topUp = p.topUp(DEF, run(RunStatus.RUNNING, 1), "m", NOW, 25);
        assertThat(topUp.children()).extracting(NodeState::nodeId).containsExactly("m[1]", "m[2]");
        assertThat(topUp.after().started()).isEqualTo(3);
        assertThat(p.topUp(DEF, run(RunStatus.RUNNING, 0), "m", NOW, 1).children()).hasSize(1);
        assertThat(p.topUp(DEF, run(RunStatus.PAUSED, 0), "m", NOW, 25).children()).isEmpty();
        assertThat(new MapProgress(3, 3, 0, 0).topUp(DEF, run(RunStatus.RUNNING, 0), "m", NOW, 25).children())
                .as("every element started").isEmpty();
    }

    @Test
    void aRedrivenMapCountsTheChildrenKeptFromAnEarlierPassAsSucceededAndStartsOnlyTheOthersInItsFreeSlots() {
        java.util.Set<Integer> kept = java.util.Set.of(0, 1, 3, 4, 5, 6, 9);
        MapProgress fresh = new MapProgress(10, 0, 0, 0);

        var first = fresh.topUp(DEF, run(RunStatus.RUNNING, 0), "m", NOW, 25, kept::contains);
        assertThat(first.children()).extracting(NodeState::nodeId).as("three slots, the kept ones passed over")
                .containsExactly("m[2]", "m[7]", "m[8]");
        assertThat(first.after()).isEqualTo(new MapProgress(10, 9, 6, 0, 6));

        // m[2] ended (m[7] and m[8] still in flight): the walk counts m[9] and reaches the end with nothing to start
        var frontier = run(RunStatus.RUNNING, 0).withNode(NodeState.pending("m[7]", 1, NOW, null))
                .withNode(NodeState.pending("m[8]", 1, NOW, null));
        var last = first.after().childEnded(true).topUp(DEF, frontier, "m", NOW, 25, kept::contains);
        assertThat(last.children()).isEmpty();
        assertThat(last.after()).isEqualTo(new MapProgress(10, 10, 8, 0, 7));
        assertThat(last.after().childEnded(true).childEnded(true).done(run(RunStatus.RUNNING, 0), "m"))
                .as("done with the same counts as a map that ran every child once").isTrue();
        assertThat(last.after().childEnded(true).childEnded(true).succeeded()).isEqualTo(10);

        assertThat(fresh.topUp(DEF, run(RunStatus.RUNNING, 3), "m", NOW, 25, kept::contains).after())
                .as("no free slot: the walk waits, even past kept children").isEqualTo(fresh);
        assertThat(fresh.topUp(DEF, run(RunStatus.RUNNING, 0), "m", NOW, 1, kept::contains).children())
                .as("the budget bounds the children started, not the kept ones counted")
                .extracting(NodeState::nodeId).containsExactly("m[2]");
        assertThat(new MapProgress(10, 0, 0, 0).topUp(DEF, run(RunStatus.RUNNING, 0), "m", NOW, 25, i -> true)
                .after()).as("every child kept: nothing to start, the map is done")
                .isEqualTo(new MapProgress(10, 10, 10, 0, 10));
        assertThat(fresh.topUp(DEF, run(RunStatus.PAUSED, 0), "m", NOW, 25, kept::contains).after()).isEqualTo(fresh);
        assertThat(MapProgress.of(new MapProgress(4, 3, 2, 1, 2).toJson())).isEqualTo(new MapProgress(4, 3, 2, 1, 2));
        assertThat(new MapProgress(4, 3, 2, 1).toJson().has("kept")).as("shown only when a child was kept").isFalse();
    }

    @Test
    void aMapFailsPastItsToleranceAndIsDoneOnceEveryChildEndedAndLeft() {
        assertThat(new MapProgress(10, 5, 3, 1).overTolerance(DEF, "m")).isFalse();
        assertThat(new MapProgress(10, 5, 3, 1).childEnded(false).overTolerance(DEF, "m")).isTrue();
        assertThat(new MapProgress(2, 2, 1, 1).done(run(RunStatus.RUNNING, 0), "m")).isTrue();
        assertThat(new MapProgress(2, 2, 1, 1).done(run(RunStatus.RUNNING, 1), "m")).as("a child still on the run item").isFalse();
        assertThat(new MapProgress(3, 2, 1, 1).done(run(RunStatus.RUNNING, 0), "m")).isFalse();
        assertThat(MapProgress.of(new MapProgress(4, 3, 2, 1).toJson())).isEqualTo(new MapProgress(4, 3, 2, 1));
    }
}
