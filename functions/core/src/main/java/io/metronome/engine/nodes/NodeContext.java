package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Definition;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.Run;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a node runs with: its definition, its state (attempt, fixed delay deadline, approval decision) and the
 * expression context {@code {input, nodes: {<nodeId>: <output>}, run: {...}}}.
 */
public record NodeContext(Run run, Definition.Node node, List<Definition.Edge> outgoing, NodeState state,
                          JsonNode expressionContext, Instant now, ObjectNode ranWith) {
    /** A step's input beyond this is shown by its size only, so that the step's record stays far below 400 KB. */
    static final int MAX_INPUT_BYTES = 64 * 1024;


    /**
     * @param run the run, with its input if the node reads it
     * @param outputs the outputs of the completed nodes the node's expressions refer to (only those are read)
     */
    public static NodeContext of(Run run, Definition definition, NodeState state, java.util.Map<String, JsonNode> outputs,
                                 Instant now) {
        return of(run, definition, state, outputs, null, now);
    }

    /** @param item a map child's element (its {@code index} comes from its id); null for any other node */
    public static NodeContext of(Run run, Definition definition, NodeState state, java.util.Map<String, JsonNode> outputs,
                                 JsonNode item, Instant now) {
        Definition.Node node = definition.node(state.nodeId());
        ObjectNode ctx = Json.object();
        ctx.set("input", run.input());
        ObjectNode nodes = ctx.putObject("nodes");
        outputs.forEach(nodes::set);
        if (Definition.mapOf(state.nodeId()) != null) {
            ctx.set("item", item);
            ctx.put("index", Definition.indexOf(state.nodeId()));
        }
        ObjectNode r = ctx.putObject("run");
        r.put("id", run.id());
        r.put("metronomeId", run.metronomeId());
        r.put("attachedProjectId", run.attachedProjectId());
        r.put("attachedTicketId", run.attachedTicketId());
        r.put("triggerType", run.triggerType());
        return new NodeContext(run, node, definition.outgoing(node.id()), state, ctx, now, Json.object());
    }

    public JsonNode config() {
        return node.config();
    }

    /**
     * What the attempt ran with, for its step's {@code input}: what the executor resolved from its configuration
     * ({@link #ranWith}, filled as it evaluates), else the configuration as written; a map child's element and
     * index with it.
     */
    public JsonNode input() {
        ObjectNode in = ranWith.isEmpty() ? ((ObjectNode) node.config()).deepCopy() : ranWith.deepCopy();
        if (expressionContext.has("item")) {
            in.set("item", expressionContext.get("item"));
            in.set("index", expressionContext.get("index"));
        }
        int bytes = in.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_INPUT_BYTES) {
            return Json.object().put("truncated", true).put("bytes", bytes);
        }
        return in;
    }
}
