package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Definition;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.engine.nodes.MapNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a map stands, kept on its entry while it runs and shown as its step's metadata: how many elements,
 * how many children started, how many succeeded and failed. The decisions about its children are pure functions
 * of it and the run's frontier.
 */
public record MapProgress(int total, int started, int succeeded, int failed) {

    public static MapProgress of(JsonNode json) {
        return new MapProgress(json.path("total").asInt(), json.path("started").asInt(),
                json.path("succeeded").asInt(), json.path("failed").asInt());
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("total", total);
        o.put("started", started);
        o.put("succeeded", succeeded);
        o.put("failed", failed);
        return o;
    }

    public int ended() {
        return succeeded + failed;
    }

    public MapProgress childEnded(boolean succeededOne) {
        return new MapProgress(total, started, succeeded + (succeededOne ? 1 : 0), failed + (succeededOne ? 0 : 1));
    }

    /** The children to start now and the map's progress after: as many as its free slots, within {@code budget}. */
    public record TopUp(List<NodeState> children, MapProgress after) {
    }

    /**
     * Fills a map's free slots (its {@code maxConcurrency} less the children in the frontier), unless the run is
     * paused (a paused run starts nothing; resume fills them again).
     */
    public TopUp topUp(Definition def, Run run, String mapId, Instant now, int budget) {
        if (run.status() == RunStatus.PAUSED || run.isTerminal()) {
            return new TopUp(List.of(), this);
        }
        long inFlight = run.nodes().keySet().stream().filter(id -> mapId.equals(Definition.mapOf(id))).count();
        int slots = (int) Math.max(0, MapNode.maxConcurrency(def.node(mapId).config()) - inFlight);
        int n = Math.min(Math.min(slots, total - started), budget);
        List<NodeState> children = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            children.add(NodeState.pending(Definition.childId(mapId, started + i), 1, now, null));
        }
        return new TopUp(children, new MapProgress(total, started + n, succeeded, failed));
    }

    /** More children failed than the map tolerates. */
    public boolean overTolerance(Definition def, String mapId) {
        return failed > MapNode.toleratedFailures(def.node(mapId).config(), total);
    }

    /** Every child has ended and none is in the frontier any more: the map can end. */
    public boolean done(Run run, String mapId) {
        return ended() >= total && run.nodes().keySet().stream().noneMatch(id -> mapId.equals(Definition.mapOf(id)));
    }
}
