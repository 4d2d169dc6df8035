package io.metronome.engine.nodes;

import io.metronome.domain.Definition.NodeType;
import io.metronome.egress.EgressClient;
import io.metronome.egress.EgressPolicy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.ssm.SsmClient;

import java.util.EnumMap;
import java.util.Map;

/** The executor for each node type. */
public final class NodeExecutors {
    private final Map<NodeType, NodeExecutor> byType = new EnumMap<>(NodeType.class);
    private final EgressPolicy egress;

    /** @param egress the policy the http and llm nodes' client is held to, which saving a definition checks too */
    public NodeExecutors(EgressPolicy egress, HttpNode http, LlmNode llm, SqsNode sqs, StepFunctionNode stepFunction) {
        this.egress = egress;
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
        byType.put(NodeType.MAP, new MapNode());
    }

    /**
     * The executors, with llm nodes configured from the environment, sqs nodes on the engine's client, and the
     * deployed egress policy (EGRESS_ALLOW_LIST).
     */
    public static NodeExecutors standard(java.util.function.Function<String, String> env,
                                         software.amazon.awssdk.services.sqs.SqsClient sqs,
                                         java.util.function.Supplier<software.amazon.awssdk.services.sfn.SfnClient> sfn) {
        return standard(env, EgressPolicy.fromEnvironment(env), sqs, sfn);
    }

    /** As above, held to the egress policy given (the local stack's, say). */
    public static NodeExecutors standard(java.util.function.Function<String, String> env, EgressPolicy egress,
                                         software.amazon.awssdk.services.sqs.SqsClient sqs,
                                         java.util.function.Supplier<software.amazon.awssdk.services.sfn.SfnClient> sfn) {
        EgressClient http = new EgressClient(egress);
        return new NodeExecutors(egress, new HttpNode(http), new LlmNode(http, LlmNode.Settings.fromEnvironment(env, ssm(env))),
                new SqsNode(sqs, SqsDestinations.fromEnvironment(env)), new StepFunctionNode(sfn, env.apply("STEP_FUNCTIONS_PREFIX")));
    }

    /** Built when an llm node first reads its key from Parameter Store, not at start; traced and bounded like the rest. */
    private static java.util.function.Supplier<SsmClient> ssm(java.util.function.Function<String, String> env) {
        return new java.util.function.Supplier<>() {
            private SsmClient client;

            @Override
            public synchronized SsmClient get() {
                if (client == null) {
                    client = SsmClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder())
                            .overrideConfiguration(io.metronome.engine.Engine.clientConfiguration(env)).build();
                }
                return client;
            }
        };
    }

    public EgressPolicy egress() {
        return egress;
    }

    public NodeExecutor forType(NodeType type) {
        return byType.get(type);
    }
}
