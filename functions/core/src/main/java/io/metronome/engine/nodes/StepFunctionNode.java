package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import io.metronome.domain.Templates;
import io.metronome.expr.Expressions;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.SfnException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Starts a Step Functions execution and waits for it without holding a worker: the node waits, and a delayed
 * message wakes it every {@code pollSeconds} (default 10) to look at the execution. Its output is the
 * execution's output; a failed, timed-out or aborted execution fails the attempt (and a retry starts a new
 * execution). The execution's name is derived from the run, node and attempt, so a redelivered message cannot
 * start a second one (Step Functions answers a repeated start with the same execution). Stopped when its run
 * is cancelled.
 */
public final class StepFunctionNode implements NodeExecutor {
    private static final int DEFAULT_POLL_SECONDS = 10;
    /**
     * Step Functions calls one attempt makes at most: stop the previous attempt's execution and start this one's,
     * or look at the execution and stop it when giving up on it.
     */
    public static final int MAX_CALLS_PER_EXECUTE = 2;

    /** What the worker's IAM policy grants by default (StepFunctionsPrefix). */
    public static final String DEFAULT_PREFIX = "metronome-";
    private static final java.util.regex.Pattern STATE_MACHINE_ARN =
            java.util.regex.Pattern.compile("arn:[a-z-]+:states:[a-z0-9-]+:[0-9]{12}:stateMachine:([A-Za-z0-9_-]{1,80})");

    private final java.util.function.Supplier<SfnClient> client;
    private final String prefix;
    private volatile SfnClient sfn;

    /**
     * @param client made on first use: most functions never run a stepFunction node, so none pays for it at start
     * @param prefix the state machines' name prefix these nodes may start (the IAM grant's, checked here too, so
     *               that the rule holds where IAM is not enforced, as on the local stack)
     */
    public StepFunctionNode(java.util.function.Supplier<SfnClient> client, String prefix) {
        this.client = client;
        this.prefix = prefix == null || prefix.isBlank() ? DEFAULT_PREFIX : prefix.trim();
    }

    /** Why a state machine may not be started by a node, or null. */
    String refusal(String stateMachineArn) {
        java.util.regex.Matcher m = STATE_MACHINE_ARN.matcher(stateMachineArn);
        if (!m.matches()) {
            return "'" + stateMachineArn + "' is not a state machine ARN";
        }
        if (!m.group(1).startsWith(prefix)) {
            return "state machine '" + m.group(1) + "' is not one stepFunction nodes may start: its name must start with '"
                    + prefix + "' (StepFunctionsPrefix)";
        }
        return null;
    }

    private SfnClient sfn() {
        SfnClient c = sfn;
        if (c == null) {
            synchronized (this) {
                if (sfn == null) {
                    sfn = client.get();
                }
                c = sfn;
            }
        }
        return c;
    }

    @Override
    public Outcome execute(NodeContext ctx) {
        JsonNode config = ctx.config();
        int poll = config.path("pollSeconds").asInt(DEFAULT_POLL_SECONDS);
        JsonNode metadata = ctx.state().metadata();
        String arn = metadata == null ? null : metadata.path("executionArn").asText(null);
        try {
            if (arn == null) {
                String stateMachine = Templates.render(config.get("stateMachineArn").asText(), ctx.expressionContext());
                String refused = refusal(stateMachine);
                if (refused != null) {
                    return new Outcome.Failed(refused, false, null);
                }
                if (ctx.state().attempt() > 1) {
                    // An earlier attempt's worker may have started an execution and stopped before noting it.
                    stopQuietly(executionArn(stateMachine, ctx.run().id(), ctx.node().id(), ctx.state().attempt() - 1),
                            ctx.run().id());
                }
                JsonNode input = !config.has("input") ? Json.object().put("runId", ctx.run().id())
                        : config.get("input").isTextual() ? Expressions.evaluate(config.get("input").asText(), ctx.expressionContext())
                        : config.get("input");
                ctx.ranWith().put("stateMachineArn", stateMachine).set("input", input);
                String name = executionName(ctx.run().id(), ctx.node().id(), ctx.state().attempt());
                String started = sfn().startExecution(r -> r.stateMachineArn(stateMachine).name(name).input(input.toString()))
                        .executionArn();
                ObjectNode meta = Json.object().put("executionArn", started).put("executionName", name)
                        .put("stateMachineArn", stateMachine);
                return new Outcome.Poll(ctx.now().plusSeconds(poll), meta);
            }
            DescribeExecutionResponse d = sfn().describeExecution(r -> r.executionArn(arn));
            ObjectNode meta = ((ObjectNode) metadata.deepCopy()).put("status", d.statusAsString());
            return switch (d.statusAsString()) {
                case "SUCCEEDED" -> new Outcome.Done(parse(d.output()), meta);
                case "FAILED", "TIMED_OUT", "ABORTED" -> new Outcome.Failed("Step Functions execution "
                        + d.statusAsString().toLowerCase() + (d.error() == null ? "" : ": " + d.error())
                        + (d.cause() == null ? "" : ": " + d.cause()), true, meta);
                default -> new Outcome.Poll(ctx.now().plusSeconds(poll), meta);
            };
        } catch (SfnException e) {
            boolean transientError = e.statusCode() >= 500 || e.isThrottlingException();
            if (arn != null && transientError) {
                return new Outcome.Poll(ctx.now().plusSeconds(poll), metadata); // keep watching the same execution
            }
            if (arn != null) {
                stopQuietly(arn, ctx.run().id()); // giving up on it: do not leave it running
            }
            return new Outcome.Failed("Step Functions refused: " + e.awsErrorDetails().errorMessage(), transientError, null);
        } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
            if (arn != null) {
                return new Outcome.Poll(ctx.now().plusSeconds(poll), metadata); // unreachable for now: look again later
            }
            throw e;
        }
    }

    private void stopQuietly(String executionArn, String runId) {
        try {
            sfn().stopExecution(r -> r.executionArn(executionArn).error("metronome.Superseded")
                    .cause("run " + runId + " moved on to another attempt"));
        } catch (RuntimeException e) {
            // not started, or already finished
        }
    }

    static String executionArn(String stateMachineArn, String runId, String nodeId, int attempt) {
        return stateMachineArn.replace(":stateMachine:", ":execution:") + ":" + executionName(runId, nodeId, attempt);
    }

    @Override
    public void cancel(NodeContext ctx) {
        JsonNode metadata = ctx.state().metadata();
        String arn = metadata == null ? null : metadata.path("executionArn").asText(null);
        if (arn != null) {
            try {
                sfn().stopExecution(r -> r.executionArn(arn).error("metronome.RunCancelled")
                        .cause("run " + ctx.run().id() + " was cancelled"));
            } catch (SfnException e) {
                // already finished or stopped: nothing to stop
            }
        }
    }

    /** At most 80 characters of [A-Za-z0-9-_], the same for every delivery of one attempt. */
    static String executionName(String runId, String nodeId, int attempt) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(nodeId.getBytes(StandardCharsets.UTF_8));
            return runId + "-" + HexFormat.of().formatHex(digest, 0, 8) + "-" + attempt;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String output) {
        try {
            return output == null ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(output);
        } catch (java.io.IOException e) {
            return Json.MAPPER.getNodeFactory().textNode(output);
        }
    }
}
