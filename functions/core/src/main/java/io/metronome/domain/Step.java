package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * One execution attempt of one node, as the timeline shows it.
 *
 * @param rev the node state revision this record reflects; storage keeps only the newest
 * @param afterRunEnded the status its run had already come to (cancelled, failed) when this attempt ended with its
 *     own outcome, completed or failed: its side effect happened all the same; null otherwise
 */
public record Step(String id, String runId, String metronomeId, String nodeId, String nodeType, StepStatus status,
                   int attempt, JsonNode input, JsonNode output, JsonNode metadata, Long durationMs, String error,
                   Instant startedAt, Instant completedAt, Instant createdAt, Instant updatedAt, long rev,
                   String afterRunEnded) {

    /** The step a node's current state shows. */
    public static Step of(Run run, NodeState node, String nodeType, Instant now) {
        Instant created = node.queuedAt() != null ? node.queuedAt() : now;
        return new Step(node.stepId(), run.id(), run.metronomeId(), node.nodeId(), nodeType,
                node.phase().stepStatus(), node.attempt(), node.input(), node.output(), node.metadata(), node.durationMs(),
                node.error(), node.startedAt(), node.completedAt(), created, now, node.rev(), afterRunEnded(run, node));
    }

    /** A node that ended by itself after its run had ended: the user must see that its work was done anyway. */
    public static String afterRunEnded(Run run, NodeState node) {
        boolean ownOutcome = node.phase() == NodeState.Phase.COMPLETED || node.phase() == NodeState.Phase.FAILED;
        return ownOutcome && run.isTerminal() ? run.status().wire() : null;
    }
}
