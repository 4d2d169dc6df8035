package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A run of a metronome version: the contract's fields, plus the engine's state of every node reached so far
 * ({@link #nodes}) and the counters behind the timeline's summary (kept current by the same writes that change
 * the nodes, so reading a timeline never aggregates).
 *
 * @param resumeTo the status to return to on resume (set while paused)
 * @param deadlineAt createdAt + timeoutMs: after it the run fails
 * @param rev bumped by every write; control operations use it for optimistic concurrency
 */
public record Run(String id, String metronomeId, String userId, String triggerType, String versionId,
                  String triggerEventId, String idempotencyKey, RunStatus status, JsonNode input, JsonNode output,
                  String error, Instant startedAt, Instant queuedAt, Instant nextAttemptAt, Instant lockedAt,
                  String lockedBy, int attemptCount, int maxAttempts, long timeoutMs, String attachedProjectId,
                  String attachedTicketId, Instant completedAt, Instant createdAt, Instant updatedAt,
                  RunStatus resumeTo, Instant deadlineAt, long rev, Map<String, NodeState> nodes,
                  Summary summary) {

    /** The running totals the timeline's summary reports. */
    public record Summary(int stepCount, Map<StepStatus, Integer> statusCounts, long totalDurationMs,
                          int totalAttempts, List<BranchDecision> branchDecisions, List<String> threadIds,
                          double llmInferenceCt, double resourcesCt, int auditEventCount) {
    }

    public record BranchDecision(String nodeId, String branchId, String branchLabel, boolean matched,
                                 String reason, String selectedEdgeId) {
    }

    /** This run with one node's state replaced (as a write that was just made left it). */
    public Run withNode(NodeState state) {
        Map<String, NodeState> copy = new java.util.LinkedHashMap<>(nodes);
        copy.put(state.nodeId(), state);
        return new Run(id, metronomeId, userId, triggerType, versionId, triggerEventId, idempotencyKey, status, input,
                output, error, startedAt, queuedAt, nextAttemptAt, lockedAt, lockedBy, attemptCount, maxAttempts,
                timeoutMs, attachedProjectId, attachedTicketId, completedAt, createdAt, updatedAt, resumeTo,
                deadlineAt, rev, copy, summary);
    }

    /** This run at another revision (after a write whose result was derived rather than read back). */
    public Run withRev(long newRev) {
        return new Run(id, metronomeId, userId, triggerType, versionId, triggerEventId, idempotencyKey, status, input,
                output, error, startedAt, queuedAt, nextAttemptAt, lockedAt, lockedBy, attemptCount, maxAttempts,
                timeoutMs, attachedProjectId, attachedTicketId, completedAt, createdAt, updatedAt, resumeTo,
                deadlineAt, newRev, nodes, summary);
    }

    public NodeState node(String nodeId) {
        return nodes.get(nodeId);
    }

    public boolean isTerminal() {
        return status.isTerminal();
    }
}
