package io.metronome.engine.nodes;

import io.metronome.domain.Definition.NodeType;

import java.util.EnumMap;
import java.util.Map;

/** The executor for each node type. */
public final class NodeExecutors {
    private final Map<NodeType, NodeExecutor> byType = new EnumMap<>(NodeType.class);

    public NodeExecutors(HttpNode http) {
        byType.put(NodeType.TRANSFORM, new TransformNode());
        byType.put(NodeType.BRANCH, new BranchNode());
        byType.put(NodeType.DELAY, new DelayNode());
        byType.put(NodeType.APPROVAL, new ApprovalNode());
        byType.put(NodeType.HTTP, http);
        byType.put(NodeType.SUCCEED, new SucceedNode());
        byType.put(NodeType.FAIL, new FailNode());
    }

    public static NodeExecutors standard() {
        return new NodeExecutors(new HttpNode());
    }

    public NodeExecutor forType(NodeType type) {
        return byType.get(type);
    }
}
