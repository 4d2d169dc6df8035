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
                          JsonNode expressionContext, Instant now) {

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
        return new NodeContext(run, node, definition.outgoing(node.id()), state, ctx, now);
    }

    public JsonNode config() {
        return node.config();
    }
}
