package io.metronome.engine;

import io.metronome.domain.Definition;
import io.metronome.domain.DefinitionParser;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.engine.Graph.Arrival;
import io.metronome.engine.Graph.HandOff;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The graph's moves as pure functions of the definition and the frontier: no storage involved. */
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

    private static List<Arrival> fromBranch(String selected) {
        return Graph.arrivalsFrom(DIAMOND_AFTER_BRANCH, "br", true, Json.object().put("selectedBranchId", selected), NOW);
    }

    @Test
    void theBranchNotTakenIsSkippedAndTheJoinWaitsForTheTakenPath() {
        HandOff h = Graph.handOff(DIAMOND_AFTER_BRANCH, "run_x", Map.of(), fromBranch("yes"), NOW, 25);

        assertThat(h.entries().get("a").phase()).isEqualTo(Phase.PENDING);
        assertThat(h.skipped()).extracting(NodeState::nodeId).containsExactly("b");
        // j heard from b (not taken) and waits for a2
        assertThat(h.entries().get("j").phase()).isEqualTo(Phase.JOINING);
        assertThat(h.entries().get("j").progress().get("b").asBoolean()).isFalse();
        assertThat(h.left()).isEmpty();
    }

    @Test
    void aJoinIsReadyOnceEverySourceArrivedAndOneWasTaken() {
        Map<String, NodeState> frontier = new HashMap<>(
                Graph.handOff(DIAMOND_AFTER_BRANCH, "run_x", Map.of(), fromBranch("yes"), NOW, 25).entries());
        frontier.remove("a");

        HandOff h = Graph.handOff(DIAMOND_AFTER_BRANCH, "run_x", frontier,
                Graph.arrivalsFrom(DIAMOND_AFTER_BRANCH, "a2", true, null, NOW), NOW, 25);

        assertThat(h.entries().get("j").phase()).isEqualTo(Phase.PENDING);
        assertThat(h.skipped()).isEmpty();
    }

    @Test
    void whenNoSourceOfAJoinWasTakenTheSkipCascadesThroughIt() {
        Map<String, NodeState> frontier = new HashMap<>();
        frontier.put("j", NodeState.joining("j", Json.object().put("a2", false)));

        HandOff h = Graph.handOff(DIAMOND_AFTER_BRANCH, "run_x", frontier,
                List.of(new Arrival("b", "br", false, NOW)), NOW, 25);

        assertThat(h.skipped()).extracting(NodeState::nodeId).containsExactly("b", "j");
        assertThat(h.entries()).containsEntry("j", null); // the join's entry leaves the frontier
    }

    @Test
    void aRepeatedArrivalAtANodeAlreadyEnteredChangesNothing() {
        Map<String, NodeState> frontier = Map.of("a", NodeState.pending("a", 1, NOW, null));

        HandOff h = Graph.handOff(DIAMOND_AFTER_BRANCH, "run_x", frontier,
                List.of(new Arrival("a", "br", true, NOW)), NOW, 25);

        assertThat(h.isEmpty()).isTrue();
    }

    @Test
    void skippedStepsGetTheSameIdEveryTimeSoARepeatedWriteLandsOnTheSameRecord() {
        HandOff first = Graph.handOff(DIAMOND_AFTER_BRANCH, "run_x", Map.of(), fromBranch("yes"), NOW.plusSeconds(1), 25);
        HandOff again = Graph.handOff(DIAMOND_AFTER_BRANCH, "run_x", Map.of(), fromBranch("yes"), NOW.plusSeconds(9), 25);

        assertThat(first.skipped().get(0).stepId()).isEqualTo(again.skipped().get(0).stepId());
        assertThat(first.entries().get("a").stepId()).isNotEqualTo(again.entries().get("a").stepId());
    }

    @Test
    void aHandOffLargerThanTheBudgetLeavesTheRestForTheNextWrite() {
        StringBuilder nodes = new StringBuilder("{\"id\": \"fan\", \"type\": \"transform\", \"config\": {\"expression\": \"1\"}}");
        StringBuilder edges = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            nodes.append(",{\"id\": \"n").append(i).append("\", \"type\": \"transform\", \"config\": {\"expression\": \"1\"}}");
            edges.append(i == 0 ? "" : ",").append("{\"from\": \"fan\", \"to\": \"n").append(i).append("\"}");
        }
        Definition fan = DefinitionParser.parse(Json.read("{\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}"), "definition");

        HandOff h = Graph.handOff(fan, "run_x", Map.of(), Graph.arrivalsFrom(fan, "fan", true, null, NOW), NOW, 25);

        assertThat(h.entries()).hasSize(25);
        assertThat(h.left()).hasSize(35);
        assertThat(Graph.fromJson(Graph.toJson(h.left()))).isEqualTo(h.left());
    }
}
