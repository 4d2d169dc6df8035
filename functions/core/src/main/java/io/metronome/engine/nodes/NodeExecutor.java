package io.metronome.engine.nodes;

/** Runs one node type. Implementations do the node's work and nothing else: no storage, no queue. */
public interface NodeExecutor {
    Outcome execute(NodeContext ctx) throws Exception;
}
