package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Definition;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.Run;

/**
 * Whether a node about to start must wait for its run to pause first, and why: a breakpoint on it, or the run's
 * cost budget reached while the node is one that costs. Pure, so every case is tested without storage
 * ({@code PauseBeforeTest}); the claim's condition asks the same of the run item ({@code RunWrite
 * .requireNoBreakpoint}, {@code requireUnderBudget}), and the worker asks this when the condition refused it and
 * when it starts a node that a pause had parked.
 *
 * <p>A breakpoint fires once per reach: on the node's first attempt (not its retries), and not again on the
 * attempt it parked, which starts on resume. A map's children are not the map: a breakpoint on a map pauses the
 * run before the map starts. The budget holds back every attempt of a node that costs once the steps' cost has
 * reached it; nodes that cost nothing go on.
 */
public final class PauseBefore {
    public static final String REQUESTED = "requested";
    public static final String BREAKPOINT = "breakpoint";
    public static final String BUDGET = "budget";
    /** A pause asked for ahead of time ({@link PauseSchedule}). */
    public static final String SCHEDULED = "scheduled";
    /** On a parked node's metadata: its breakpoint fired for this reach, so its resume starts it. */
    static final String BREAKPOINT_PASSED = "breakpointPassed";

    private PauseBefore() {
    }

    /** Node types whose steps report a {@code costCt}: the ones a budget holds back. */
    public static boolean costs(Definition.NodeType type) {
        return type == Definition.NodeType.LLM;
    }

    /**
     * Why the run must pause before {@code node} starts ({@code reason}, {@code nodeId}, and for the budget the
     * cost and the budget), or null when it may start.
     *
     * @param costly whether the node is of a type that costs ({@link #costs})
     */
    public static ObjectNode cause(Run run, NodeState node, boolean costly) {
        if (node.startedAt() != null) {
            return null; // its work has begun (a delay counting down, a decision to apply): nothing to pause before
        }
        if (node.attempt() == 1 && run.controls().pauseBefore().contains(node.nodeId()) && !breakpointPassed(node)) {
            return Json.object().put("reason", BREAKPOINT).put("nodeId", node.nodeId());
        }
        if (costly && overBudget(run)) {
            ObjectNode cause = Json.object().put("reason", BUDGET).put("nodeId", node.nodeId());
            cause.put("costCt", run.costCt());
            cause.put("budgetCt", run.controls().budgetCt());
            return cause;
        }
        return null;
    }

    /** The steps' cost has reached the run's budget. */
    public static boolean overBudget(Run run) {
        Double budget = run.controls().budgetCt();
        return budget != null && run.costCt() >= budget;
    }

    /** A node parked before it started, for {@code cause}: its step says why, and whether its breakpoint has fired. */
    static JsonNode parkedMetadata(NodeState node, JsonNode cause) {
        ObjectNode m = Json.object();
        m.put("pausedBefore", cause.path("reason").asText());
        if (breakpointPassed(node) || BREAKPOINT.equals(cause.path("reason").asText())) {
            m.put(BREAKPOINT_PASSED, true);
        }
        return m;
    }

    static boolean breakpointPassed(NodeState node) {
        return node.metadata() != null && node.metadata().path(BREAKPOINT_PASSED).asBoolean(false);
    }
}
