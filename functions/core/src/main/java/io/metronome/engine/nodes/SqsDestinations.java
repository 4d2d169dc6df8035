package io.metronome.engine.nodes;

import java.net.URI;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Which queues an sqs node may send to: those whose names start with the configured prefix (SqsNodeQueuePrefix,
 * which the worker's IAM policy grants), and never the engine's own node queue. The worker's role must be able to
 * send to its node queue, so IAM alone would let a tenant's sqs node forge node messages for any run; this rule,
 * checked on the rendered URL of every send, is what keeps it out.
 */
public record SqsDestinations(String prefix, Set<String> engineQueues) {
    public static final String DEFAULT_PREFIX = "metronome-target-";

    public static SqsDestinations fromEnvironment(Function<String, String> env) {
        String prefix = env.apply("SQS_NODE_QUEUE_PREFIX");
        String nodeQueue = env.apply("NODE_QUEUE_URL");
        return new SqsDestinations(prefix == null || prefix.isBlank() ? DEFAULT_PREFIX : prefix.trim(),
                nodeQueue == null || nodeQueue.isBlank() ? Set.of() : Set.of(queueName(nodeQueue)));
    }

    /** Why a send to this queue URL is refused, or empty when it is allowed. */
    public Optional<String> refusal(String queueUrl) {
        String name;
        try {
            URI uri = URI.create(queueUrl.trim());
            if (uri.getScheme() == null || !(uri.getScheme().equals("https") || uri.getScheme().equals("http"))
                    || uri.getRawPath() == null || uri.getRawPath().split("/").length != 3) {
                return Optional.of("'" + queueUrl + "' is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)");
            }
            name = queueName(queueUrl.trim());
        } catch (IllegalArgumentException e) {
            return Optional.of("'" + queueUrl + "' is not a URL");
        }
        if (engineQueues.contains(name)) {
            return Optional.of("queue '" + name + "' is the engine's own: sqs nodes may not send to it");
        }
        if (!name.startsWith(prefix)) {
            return Optional.of("queue '" + name + "' is not one sqs nodes may send to: its name must start with '"
                    + prefix + "' (SqsNodeQueuePrefix)");
        }
        return Optional.empty();
    }

    private static String queueName(String url) {
        String path = URI.create(url).getRawPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
