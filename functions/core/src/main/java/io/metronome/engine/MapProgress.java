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
import java.util.function.IntPredicate;

/**
 * Where a map stands, kept on its entry while it runs and shown as its step's metadata: how many elements,
 * how far its children have been started ({@code started}: every child below it started or was kept), how many
 * succeeded and failed, and how many of those that succeeded were {@code kept} from an earlier pass of a redriven
 * run instead of running again. The decisions about its children are pure functions of it and the run's frontier.
 */
public record MapProgress(int total, int started, int succeeded, int failed, int kept) {

    /** A map that keeps no child from an earlier pass. */
    public MapProgress(int total, int started, int succeeded, int failed) {
        this(total, started, succeeded, failed, 0);
    }

    /** No child is kept: a map's first pass, where no child has completed before. */
    public static final IntPredicate NONE_KEPT = index -> false;

    public static MapProgress of(JsonNode json) {
        return new MapProgress(json.path("total").asInt(), json.path("started").asInt(),
                json.path("succeeded").asInt(), json.path("failed").asInt(), json.path("kept").asInt());
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("total", total);
        o.put("started", started);
        o.put("succeeded", succeeded);
        o.put("failed", failed);
        if (kept > 0) {
            o.put("kept", kept);
        }
        return o;
    }

    public int ended() {
        return succeeded + failed;
    }

    public MapProgress childEnded(boolean succeededOne) {
        return new MapProgress(total, started, succeeded + (succeededOne ? 1 : 0), failed + (succeededOne ? 0 : 1), kept);
    }

    /** The children to start now and the map's progress after: as many as its free slots, within {@code budget}. */
    public record TopUp(List<NodeState> children, MapProgress after) {
    }

    public TopUp topUp(Definition def, Run run, String mapId, Instant now, int budget) {
        return topUp(def, run, mapId, now, budget, NONE_KEPT);
    }

    /**
     * Fills a map's free slots (its {@code maxConcurrency} less the children in the frontier), unless the run is
     * paused (a paused run starts nothing; resume fills them again). Walking on from {@code started} in index
     * order, a child that {@code keptBefore} says completed in an earlier pass is counted as succeeded and not started
     * (it takes no slot and no room in the write, so the walk goes past any number of them); the others start
     * until the slots or the budget are used up.
     */
    public TopUp topUp(Definition def, Run run, String mapId, Instant now, int budget, IntPredicate keptBefore) {
        if (run.status() == RunStatus.PAUSED || run.isTerminal()) {
            return new TopUp(List.of(), this);
        }
        long inFlight = run.nodes().keySet().stream().filter(id -> mapId.equals(Definition.mapOf(id))).count();
        int slots = (int) Math.max(0, MapNode.maxConcurrency(def.node(mapId).config()) - inFlight);
        int n = Math.min(slots, budget);
        List<NodeState> children = new ArrayList<>();
        int next = started;
        int keptNow = 0;
        while (next < total && children.size() < n) {
            if (keptBefore.test(next)) {
                keptNow++;
            } else {
                children.add(NodeState.pending(Definition.childId(mapId, next), 1, now, null));
            }
            next++;
        }
        return new TopUp(children, new MapProgress(total, next, succeeded + keptNow, failed, kept + keptNow));
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
