package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A run of a metronome version: the contract's fields, plus the engine's state of its active nodes
 * ({@link #nodes}: the frontier; a node leaves it when it is final) and the counters behind the timeline's summary
 * (kept current by the same writes that change the nodes, so reading a timeline never aggregates). The input is
 * stored apart from the run item ({@code RunData}) and filled in by reads that return it.
 *
 * @param resumeTo the status to return to on resume (set while paused)
 * @param deadlineAt createdAt + timeoutMs: after it the run fails
 * @param rev bumped by every write; control operations use it for optimistic concurrency
 * @param lastNodeId the node that completed last: the run's output is its output
 * @param pauseSettled while paused: nothing is in flight any more, and {@code run.paused} was audited
 * @param closed ended, and the nodes it never reached recorded and its counters set from its records
 * @param ended the steps that the write which left this version of the run item ended, by node id (completed,
 *              failed, cancelled; a node that ends leaves {@link #nodes} in the same write, so without this the
 *              version would not say how it ended); empty on any other version
 * @param controls what the run was told to stop at and how its timeout counts (breakpoints, cost budget)
 * @param pause the time the run has spent paused, and why it is paused now
 */
public record Run(String id, String metronomeId, String userId, String triggerType, String versionId,
                  String triggerEventId, String idempotencyKey, RunStatus status, JsonNode input, JsonNode output,
                  String error, Instant startedAt, Instant queuedAt, Instant nextAttemptAt, Instant lockedAt,
                  String lockedBy, int attemptCount, int maxAttempts, long timeoutMs, String attachedProjectId,
                  String attachedTicketId, Instant completedAt, Instant createdAt, Instant updatedAt,
                  RunStatus resumeTo, Instant deadlineAt, long rev, Map<String, NodeState> nodes,
                  Summary summary, String lastNodeId, boolean pauseSettled, boolean closed,
                  Map<String, EndedStep> ended, Controls controls, Pause pause, Lineage lineage) {

    public Run {
        ended = ended == null ? Map.of() : ended;
        controls = controls == null ? Controls.NONE : controls;
        pause = pause == null ? Pause.NEVER : pause;
        lineage = lineage == null ? Lineage.NONE : lineage;
    }

    /** A run without lineage: never redriven, no rerun of another. */
    public Run(String id, String metronomeId, String userId, String triggerType, String versionId,
               String triggerEventId, String idempotencyKey, RunStatus status, JsonNode input, JsonNode output,
               String error, Instant startedAt, Instant queuedAt, Instant nextAttemptAt, Instant lockedAt,
               String lockedBy, int attemptCount, int maxAttempts, long timeoutMs, String attachedProjectId,
               String attachedTicketId, Instant completedAt, Instant createdAt, Instant updatedAt,
               RunStatus resumeTo, Instant deadlineAt, long rev, Map<String, NodeState> nodes,
               Summary summary, String lastNodeId, boolean pauseSettled, boolean closed,
               Map<String, EndedStep> ended, Controls controls, Pause pause) {
        this(id, metronomeId, userId, triggerType, versionId, triggerEventId, idempotencyKey, status, input, output,
                error, startedAt, queuedAt, nextAttemptAt, lockedAt, lockedBy, attemptCount, maxAttempts, timeoutMs,
                attachedProjectId, attachedTicketId, completedAt, createdAt, updatedAt, resumeTo, deadlineAt, rev,
                nodes, summary, lastNodeId, pauseSettled, closed, ended, controls, pause, Lineage.NONE);
    }

    /**
     * Where a run came from and how often it was taken up again: {@code redriveCount} its redrives so far,
     * {@code rerunOf} the run it reruns (null: none).
     */
    public record Lineage(int redriveCount, String rerunOf) {
        public static final Lineage NONE = new Lineage(0, null);
    }

    /** A run without controls or pauses (every version but those the engine builds itself). */
    public Run(String id, String metronomeId, String userId, String triggerType, String versionId,
               String triggerEventId, String idempotencyKey, RunStatus status, JsonNode input, JsonNode output,
               String error, Instant startedAt, Instant queuedAt, Instant nextAttemptAt, Instant lockedAt,
               String lockedBy, int attemptCount, int maxAttempts, long timeoutMs, String attachedProjectId,
               String attachedTicketId, Instant completedAt, Instant createdAt, Instant updatedAt,
               RunStatus resumeTo, Instant deadlineAt, long rev, Map<String, NodeState> nodes,
               Summary summary, String lastNodeId, boolean pauseSettled, boolean closed,
               Map<String, EndedStep> ended) {
        this(id, metronomeId, userId, triggerType, versionId, triggerEventId, idempotencyKey, status, input, output,
                error, startedAt, queuedAt, nextAttemptAt, lockedAt, lockedBy, attemptCount, maxAttempts, timeoutMs,
                attachedProjectId, attachedTicketId, completedAt, createdAt, updatedAt, resumeTo, deadlineAt, rev,
                nodes, summary, lastNodeId, pauseSettled, closed, ended, Controls.NONE, Pause.NEVER);
    }

    /** How a run's {@code timeoutMs} is counted. */
    public enum TimeoutPolicy {
        /** From the run's creation, paused or not (API.md's timeout). */
        WALL_CLOCK("wallClock"),
        /** Time spent paused does not count: each resume moves the deadline on by the pause's length. */
        EXCLUDE_PAUSED("excludePaused");

        private final String wire;

        TimeoutPolicy(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        /** The policy a wire name means, or null for none of them. */
        public static TimeoutPolicy fromWire(String value) {
            for (TimeoutPolicy p : values()) {
                if (p.wire.equals(value)) {
                    return p;
                }
            }
            return null;
        }
    }

    /**
     * What a run was told to stop at: breakpoints (the run pauses before starting any of these nodes) and a cost
     * budget (it pauses before starting a node that costs, once its steps' cost has reached the budget).
     *
     * @param pauseBefore node ids of the definition, sorted
     * @param budgetCt null: no budget
     */
    public record Controls(List<String> pauseBefore, Double budgetCt, TimeoutPolicy timeoutPolicy) {
        public static final Controls NONE = new Controls(List.of(), null, TimeoutPolicy.WALL_CLOCK);

        public Controls {
            pauseBefore = pauseBefore == null ? List.of() : List.copyOf(new java.util.TreeSet<>(pauseBefore));
            timeoutPolicy = timeoutPolicy == null ? TimeoutPolicy.WALL_CLOCK : timeoutPolicy;
        }
    }

    /**
     * The run's time paused: {@code pausedMs} over the pauses that ended, and {@code since} the current one began
     * (null while not paused); {@code cause} why the run is paused now, as {@code run.paused} names it
     * ({@code reason} requested, breakpoint, budget or scheduled, and the node and figures that go with it);
     * {@code schedule} a pause or resume asked for ahead of time (null: none).
     */
    public record Pause(Instant since, long pausedMs, JsonNode cause, Schedule schedule) {
        public static final Pause NEVER = new Pause(null, 0, null, null);

        /** Nothing scheduled. */
        public Pause(Instant since, long pausedMs, JsonNode cause) {
            this(since, pausedMs, cause, null);
        }

        public Pause withSchedule(Schedule s) {
            return new Pause(since, pausedMs, cause, s);
        }
    }

    /**
     * A pause or resume asked for ahead of time: the run pauses at {@code pauseAt} (null: not, or taken already)
     * and resumes by itself at {@code resumeAt} (null: only by hand). {@code reason} and {@code requestedBy} go
     * into the audit of the pause and resume they make, as if asked for then.
     */
    public record Schedule(Instant pauseAt, Instant resumeAt, String reason, String requestedBy, Instant requestedAt) {
        /** This schedule with its pause taken: what is left, or null when nothing is. */
        public Schedule pauseTaken() {
            return resumeAt == null ? null : new Schedule(null, resumeAt, reason, requestedBy, requestedAt);
        }

        /** When it next acts on the run: its pause, else its resume. */
        public Instant nextAt() {
            return pauseAt != null ? pauseAt : resumeAt;
        }
    }

    /** A run whose version says nothing of ended steps (every version but those read from the run item). */
    public Run(String id, String metronomeId, String userId, String triggerType, String versionId,
               String triggerEventId, String idempotencyKey, RunStatus status, JsonNode input, JsonNode output,
               String error, Instant startedAt, Instant queuedAt, Instant nextAttemptAt, Instant lockedAt,
               String lockedBy, int attemptCount, int maxAttempts, long timeoutMs, String attachedProjectId,
               String attachedTicketId, Instant completedAt, Instant createdAt, Instant updatedAt,
               RunStatus resumeTo, Instant deadlineAt, long rev, Map<String, NodeState> nodes,
               Summary summary, String lastNodeId, boolean pauseSettled, boolean closed) {
        this(id, metronomeId, userId, triggerType, versionId, triggerEventId, idempotencyKey, status, input, output,
                error, startedAt, queuedAt, nextAttemptAt, lockedAt, lockedBy, attemptCount, maxAttempts, timeoutMs,
                attachedProjectId, attachedTicketId, completedAt, createdAt, updatedAt, resumeTo, deadlineAt, rev,
                nodes, summary, lastNodeId, pauseSettled, closed, Map.of(), Controls.NONE, Pause.NEVER);
    }

    /**
     * A step a write ended: which attempt of its node, and how ({@code error} cut to {@link #MAX_ERROR_CHARS}:
     * the step's record has all of it).
     */
    public record EndedStep(int attempt, StepStatus status, String error) {
        public static final int MAX_ERROR_CHARS = 256;
    }

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
        Map<String, NodeState> changed = new java.util.LinkedHashMap<>(nodes);
        changed.put(state.nodeId(), state);
        return copy(input, rev, changed, controls, pause, lineage);
    }

    /** This run with its input, as read from where it is kept. */
    public Run withInput(JsonNode value) {
        return copy(value, rev, nodes, controls, pause, lineage);
    }

    /** This run without a node (which a write just made final). */
    public Run withoutNode(String nodeId) {
        Map<String, NodeState> changed = new java.util.LinkedHashMap<>(nodes);
        changed.remove(nodeId);
        return copy(input, rev, changed, controls, pause, lineage);
    }

    /** This run at another revision (after a write whose result was derived rather than read back). */
    public Run withRev(long newRev) {
        return copy(input, newRev, nodes, controls, pause, lineage);
    }

    /** This run with the parts the withers above change, every other field as it is. */
    private Run copy(JsonNode input, long rev, Map<String, NodeState> nodes, Controls controls, Pause pause,
                     Lineage lineage) {
        return new Run(id, metronomeId, userId, triggerType, versionId, triggerEventId, idempotencyKey, status, input,
                output, error, startedAt, queuedAt, nextAttemptAt, lockedAt, lockedBy, attemptCount, maxAttempts,
                timeoutMs, attachedProjectId, attachedTicketId, completedAt, createdAt, updatedAt, resumeTo,
                deadlineAt, rev, nodes, summary, lastNodeId, pauseSettled, closed, ended, controls, pause, lineage);
    }

    public NodeState node(String nodeId) {
        return nodes.get(nodeId);
    }

    /**
     * The cost of the run's steps so far (each completed step's {@code costCt}, summed on the run item as
     * {@code llmInferenceCt}; no step counts {@code resourcesCt} today): what its budget is held to.
     */
    public double costCt() {
        return summary.llmInferenceCt();
    }

    /** This run with other controls (as the run starts with them). */
    public Run withControls(Controls c) {
        return copy(input, rev, nodes, c, pause, lineage);
    }

    /** This run with another pause accounting (as a pause or a resume leaves it). */
    public Run withPause(Pause p) {
        return copy(input, rev, nodes, controls, p, lineage);
    }

    /** This run with another lineage (as a rerun starts with it). */
    public Run withLineage(Lineage l) {
        return copy(input, rev, nodes, controls, pause, l);
    }

    public boolean isTerminal() {
        return status.isTerminal();
    }

    /** Nodes in flight ({@link NodeState#inFlight}): a paused or cancelled run drains until none is. */
    public int activeNodeCount() {
        return (int) nodes.values().stream().filter(NodeState::inFlight).count();
    }
}
