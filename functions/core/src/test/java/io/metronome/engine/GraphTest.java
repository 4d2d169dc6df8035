package io.metronome.engine;

import io.metronome.domain.Definition;
import io.metronome.domain.DefinitionParser;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.engine.Graph.Resolution;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GraphTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    private static final Definition DIAMOND_AFTER_BRANCH = DefinitionParser.parse(Json.read("""
            {"nodes": [
              {"id": "br", "type": "branch", "config": {"branches": [{"id": "yes", "condition": "true"}]}},
              {"id": "a", "type": "transform", "config": {"expression": "1"}},
              {"id": "b", "type": "transform", "config": {"expression": "1"}},
              {"id": "a2", "type": "transform", "config": {"expression": "1"}},
              {"id": "j", "type": "transform", "config": {"expression": "1"}}],
             "edges": [{"from": "br", "to": "a", "branchId": "yes"}, {"from": "br", "to": "b", "branchId": "default"},
                       {"from": "a", "to": "a2"}, {"from": "a2", "to": "j"}, {"from": "b", "to": "j"}]}"""), "definition");

    private static NodeState done(String id, String selectedBranch) {
        var meta = selectedBranch == null ? null : Json.object().put("selectedBranchId", selectedBranch);
        return NodeState.pending(id, 1, NOW, null).to(Phase.COMPLETED).completedAt(NOW).metadata(meta).build();
    }

    @Test
    void theBranchNotTakenIsSkippedAndTheJoinWaitsForTheTakenPath() {
        Map<String, NodeState> states = new HashMap<>();
        states.put("br", done("br", "yes"));

        assertThat(Graph.advance(DIAMOND_AFTER_BRANCH, states))
                .containsExactly(Map.entry("a", Resolution.READY), Map.entry("b", Resolution.SKIP));

        states.put("a", done("a", null));
        states.put("b", NodeState.skipped("b", NOW));
        assertThat(Graph.advance(DIAMOND_AFTER_BRANCH, states)).containsExactly(Map.entry("a2", Resolution.READY));

        states.put("a2", NodeState.pending("a2", 1, NOW, null));
        assertThat(Graph.advance(DIAMOND_AFTER_BRANCH, states)).as("join waits for a2").isEmpty();
        assertThat(Graph.finished(DIAMOND_AFTER_BRANCH, states)).isFalse();

        states.put("a2", done("a2", null));
        assertThat(Graph.advance(DIAMOND_AFTER_BRANCH, states)).containsExactly(Map.entry("j", Resolution.READY));
    }

    @Test
    void skippingCascadesAndTheRunFinishesWhenNothingIsLeft() {
        Map<String, NodeState> states = new HashMap<>();
        states.put("br", done("br", "default"));
        states.put("b", done("b", null));
        Map<String, Resolution> next = Graph.advance(DIAMOND_AFTER_BRANCH, states);
        assertThat(next).containsEntry("a", Resolution.SKIP).containsEntry("a2", Resolution.SKIP)
                .containsEntry("j", Resolution.READY);

        states.put("a", NodeState.skipped("a", NOW));
        states.put("a2", NodeState.skipped("a2", NOW));
        states.put("j", done("j", null));
        assertThat(Graph.finished(DIAMOND_AFTER_BRANCH, states)).isTrue();
        assertThat(Graph.lastCompleted(states)).isPresent();
    }
}
