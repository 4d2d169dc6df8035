package io.metronome.engine;

import io.metronome.domain.DefinitionParser;
import io.metronome.engine.nodes.LlmNode;
import io.metronome.engine.nodes.StepFunctionNode;
import io.metronome.expr.Budget;

import java.time.Duration;
import java.util.stream.Stream;

/**
 * How long the worker may spend on one node message, from the limits the nodes hold to. The worker's Lambda
 * timeout is sized on {@link #PER_MESSAGE}, the node lease on that timeout, the queue's visibility timeout on both
 * (template.yaml says how; TemplateTest holds the template to these numbers).
 *
 * <p>Every node's expressions share {@link Budget#ATTEMPT_TIME_MS}; on top of that, an http node waits at most its
 * {@code timeoutMs} (the definition's limit), an llm node the model endpoint's timeout, a stepFunction node two
 * AWS calls, an sqs node one (an llm node may read its key too). Other node types do no I/O of their own.
 */
public final class NodeTimeLimits {
    private static final Duration EXPRESSIONS = Duration.ofMillis(Budget.ATTEMPT_TIME_MS);

    public static final Duration HTTP = EXPRESSIONS.plusMillis(DefinitionParser.MAX_HTTP_TIMEOUT_MS);
    /** The model's answer, and a read of the API key from Parameter Store (once every five minutes per container). */
    public static final Duration LLM = EXPRESSIONS.plus(LlmNode.TIMEOUT).plus(Engine.AWS_CALL_TIMEOUT);
    public static final Duration STEP_FUNCTION =
            EXPRESSIONS.plus(Engine.AWS_CALL_TIMEOUT.multipliedBy(StepFunctionNode.MAX_CALLS_PER_EXECUTE));
    public static final Duration SQS = EXPRESSIONS.plus(Engine.AWS_CALL_TIMEOUT);

    /** The longest a node's own work may take. */
    public static final Duration LONGEST_NODE = Stream.of(HTTP, LLM, STEP_FUNCTION, SQS).max(Duration::compareTo)
            .orElseThrow();

    /**
     * The worker's own DynamoDB and SQS calls around a node (claim, read, record, complete, send: a handful, each
     * normally some milliseconds, each bounded by {@link Engine#AWS_CALL_TIMEOUT}). Allowed for at a margin, not at
     * their worst: an invocation whose writes stall past it times out, its message comes back after the visibility
     * timeout and finds the node's lease over, and every write is safe to repeat.
     */
    public static final Duration WRITES = Duration.ofSeconds(20);

    /** What one message may take: the worker starts another in the same invocation only with this much time left. */
    public static final Duration PER_MESSAGE = LONGEST_NODE.plus(WRITES);

    private NodeTimeLimits() {
    }
}
