package io.metronome.engine.nodes;

import io.metronome.domain.Definition.NodeType;

import java.util.EnumMap;
import java.util.Map;

/** The executor for each node type. */
public final class NodeExecutors {
    private final Map<NodeType, NodeExecutor> byType = new EnumMap<>(NodeType.class);

    public NodeExecutors(HttpNode http, LlmNode llm, SqsNode sqs, StepFunctionNode stepFunction) {
        byType.put(NodeType.TRANSFORM, new TransformNode());
        byType.put(NodeType.BRANCH, new BranchNode());
        byType.put(NodeType.DELAY, new DelayNode());
        byType.put(NodeType.APPROVAL, new ApprovalNode());
        byType.put(NodeType.HTTP, http);
        byType.put(NodeType.SUCCEED, new SucceedNode());
        byType.put(NodeType.FAIL, new FailNode());
        byType.put(NodeType.LLM, llm);
        byType.put(NodeType.SQS, sqs);
        byType.put(NodeType.STEP_FUNCTION, stepFunction);
    }

    /** The executors, with llm nodes configured from the environment and sqs nodes on the engine's client. */
    public static NodeExecutors standard(java.util.function.Function<String, String> env,
                                         software.amazon.awssdk.services.sqs.SqsClient sqs,
                                         java.util.function.Supplier<software.amazon.awssdk.services.sfn.SfnClient> sfn) {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5))
                .followRedirects(java.net.http.HttpClient.Redirect.NORMAL).build();
        return new NodeExecutors(new HttpNode(http), new LlmNode(http, LlmNode.Settings.fromEnvironment(env)),
                new SqsNode(sqs), new StepFunctionNode(sfn));
    }

    public NodeExecutor forType(NodeType type) {
        return byType.get(type);
    }
}
