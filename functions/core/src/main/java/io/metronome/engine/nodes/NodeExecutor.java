package io.metronome.engine.nodes;

/** Runs one node type. Implementations do the node's work and nothing else: no storage, no queue. */
public interface NodeExecutor {
    Outcome execute(NodeContext ctx) throws Exception;

    /** Stops work the node started elsewhere, when its run ends while it waits (default: nothing to stop). */
    default void cancel(NodeContext ctx) {
    }
}
