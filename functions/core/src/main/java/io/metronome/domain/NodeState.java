package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * Where one active node of a run stands. Lives inside the run item while the node is not final (the run's
 * frontier), so the one conditional write that claims a node also checks the run's status; the write that makes
 * it final removes it, so the run item's size follows the run's width, not its length. The node's current step
 * (its attempt) is derived from this state; the steps table holds that step's record, those of the node's
 * earlier attempts, and (apart) its output.
 *
 * @param rev bumped on every change; step records carry it so an older write can never overwrite a newer one
 * @param leaseUntil while RUNNING: the moment after which another worker may take the node over
 * @param dueAt a delay node's fixed deadline, set once when the node first runs
 * @param notBefore when a retry attempt may start
 * @param decision an approval decision waiting to be applied by a worker
 * @param output held in memory only (for the step record); never stored on the run item
 * @param input what the attempt ran with (its configuration after expressions), in memory only like the output
 * @param progress a join's arrivals, a map's counters, or the hand-off a completed node has left to make
 */
public record NodeState(String nodeId, Phase phase, int attempt, String stepId, long rev, String lockedBy,
                        Instant leaseUntil, Instant queuedAt, Instant startedAt, Instant completedAt,
                        JsonNode output, String error, Instant dueAt, Instant notBefore, JsonNode decision,
                        JsonNode metadata, JsonNode progress, JsonNode input) {

    /** A node's phase; each maps to the status its current step shows (a join being awaited has no step yet). */
    public enum Phase {
        /** Some of a join's incoming edges have resolved, not all: no step yet. */
        JOINING(null),
        /** A map node whose children are running; {@code progress} counts them. */
        MAPPING(StepStatus.RUNNING),
        /** Ready; a message for it is on the queue. */
        PENDING(StepStatus.QUEUED),
        /** A worker holds it under a lease. */
        RUNNING(StepStatus.RUNNING),
        /** A delay counting down with no worker held; a delayed message wakes it. */
        WAITING(StepStatus.RUNNING),
        WAITING_APPROVAL(StepStatus.WAITING_APPROVAL),
        /** An approval decision was taken; a worker applies it. */
        DECIDED(StepStatus.RUNNING),
        /** Parked because the run was paused before the node could start. */
        PAUSED(StepStatus.PAUSED),
        COMPLETED(StepStatus.COMPLETED),
        FAILED(StepStatus.FAILED),
        SKIPPED(StepStatus.SKIPPED),
        CANCELLED(StepStatus.CANCELLED);

        private final StepStatus stepStatus;

        Phase(StepStatus stepStatus) {
            this.stepStatus = stepStatus;
        }

        public StepStatus stepStatus() {
            return stepStatus;
        }

        public boolean isFinal() {
            return stepStatus != null && stepStatus.isFinal();
        }

        /** Whether a node in this phase may move to {@code next} ({@link #NEXT}, the node phases' transition table). */
        public boolean canBecome(Phase next) {
            return NEXT.get(this).contains(next);
        }
    }

    /**
     * Where a node may go from each phase. A retry or a takeover moves a node to the next attempt (RUNNING to
     * PENDING or RUNNING); a completed node stays COMPLETED while it hands off; final phases go nowhere.
     */
    public static final java.util.Map<Phase, java.util.Set<Phase>> NEXT;

    static {
        java.util.Map<Phase, java.util.Set<Phase>> next = new java.util.EnumMap<>(Phase.class);
        next.put(Phase.JOINING, java.util.EnumSet.of(Phase.JOINING));
        next.put(Phase.PENDING, java.util.EnumSet.of(Phase.RUNNING, Phase.PAUSED, Phase.CANCELLED));
        next.put(Phase.RUNNING, java.util.EnumSet.of(Phase.COMPLETED, Phase.FAILED, Phase.WAITING, Phase.WAITING_APPROVAL,
                Phase.MAPPING, Phase.PENDING, Phase.RUNNING, Phase.PAUSED, Phase.CANCELLED));
        next.put(Phase.WAITING, java.util.EnumSet.of(Phase.RUNNING, Phase.COMPLETED, Phase.PAUSED, Phase.CANCELLED));
        next.put(Phase.WAITING_APPROVAL, java.util.EnumSet.of(Phase.DECIDED, Phase.CANCELLED));
        next.put(Phase.DECIDED, java.util.EnumSet.of(Phase.COMPLETED, Phase.FAILED, Phase.PENDING, Phase.PAUSED,
                Phase.CANCELLED));
        // PAUSED to PAUSED: a parked node held again on resume (by its breakpoint, or the cost budget).
        next.put(Phase.PAUSED, java.util.EnumSet.of(Phase.RUNNING, Phase.PAUSED, Phase.CANCELLED));
        next.put(Phase.MAPPING, java.util.EnumSet.of(Phase.MAPPING, Phase.COMPLETED, Phase.FAILED, Phase.CANCELLED));
        next.put(Phase.COMPLETED, java.util.EnumSet.of(Phase.COMPLETED));
        next.put(Phase.FAILED, java.util.EnumSet.noneOf(Phase.class));
        next.put(Phase.SKIPPED, java.util.EnumSet.noneOf(Phase.class));
        next.put(Phase.CANCELLED, java.util.EnumSet.noneOf(Phase.class));
        NEXT = java.util.Collections.unmodifiableMap(next);
    }

    /**
     * Whether a worker is about to pick the node up, holds it, or is handing off from it: a pause has drained, and
     * a run's {@code activeNodeCount} is 0, once no node is. A node waiting out a retry's backoff is not: nothing
     * of it runs before its time (the message that brings it is delayed until then), and a paused run parks it
     * when it comes.
     */
    public boolean inFlight() {
        return switch (phase) {
            case RUNNING, DECIDED, COMPLETED -> true;
            case PENDING -> notBefore == null;
            default -> false;
        };
    }

    /** Whether the node waits out a retry's backoff, its message delayed until {@code notBefore}. */
    public boolean deferred() {
        return phase == Phase.PENDING && notBefore != null;
    }

    public static NodeState pending(String nodeId, int attempt, Instant now, Instant notBefore) {
        return new NodeState(nodeId, Phase.PENDING, attempt, Ids.next(Ids.STEP), 1, null, null, now, null, null,
                null, null, null, notBefore, null, null, null, null);
    }

    /** A node on a path not taken: recorded as a skipped step without ever running. */
    public static NodeState skipped(String nodeId, String stepId, Instant now) {
        return new NodeState(nodeId, Phase.SKIPPED, 0, stepId, 1, null, null, now, null, now,
                null, null, null, null, null, null, null, null);
    }

    /** A join some of whose incoming edges have resolved; {@code arrivals} maps each source to whether it was taken. */
    public static NodeState joining(String nodeId, JsonNode arrivals) {
        return new NodeState(nodeId, Phase.JOINING, 0, null, 1, null, null, null, null, null,
                null, null, null, null, null, null, arrivals, null);
    }

    /** This state with what its attempt ran with (the same revision: nothing about the node changed). */
    public NodeState withInput(JsonNode ranWith) {
        return new NodeState(nodeId, phase, attempt, stepId, rev, lockedBy, leaseUntil, queuedAt, startedAt, completedAt,
                output, error, dueAt, notBefore, decision, metadata, progress, ranWith);
    }

    public Builder to(Phase next) {
        return new Builder(this).phase(next);
    }

    public boolean leaseExpired(Instant now) {
        return phase == Phase.RUNNING && leaseUntil != null && !leaseUntil.isAfter(now);
    }

    public Long durationMs() {
        return startedAt == null || completedAt == null ? null : completedAt.toEpochMilli() - startedAt.toEpochMilli();
    }

    /** Copy-and-change, so each transition of a node reads as the fields it touches. Always bumps rev. */
    public static final class Builder {
        private final NodeState s;
        private Phase phase;
        private int attempt;
        private String stepId;
        private String lockedBy;
        private Instant leaseUntil;
        private Instant queuedAt;
        private Instant startedAt;
        private Instant completedAt;
        private JsonNode output;
        private String error;
        private Instant dueAt;
        private Instant notBefore;
        private JsonNode decision;
        private JsonNode metadata;
        private JsonNode progress;
        private boolean progressGiven;
        private JsonNode input;

        private Builder(NodeState s) {
            this.s = s;
            phase = s.phase;
            attempt = s.attempt;
            stepId = s.stepId;
            lockedBy = s.lockedBy;
            leaseUntil = s.leaseUntil;
            queuedAt = s.queuedAt;
            startedAt = s.startedAt;
            completedAt = s.completedAt;
            output = s.output;
            error = s.error;
            dueAt = s.dueAt;
            notBefore = s.notBefore;
            decision = s.decision;
            metadata = s.metadata;
            progress = s.progress;
            input = s.input;
        }

        public Builder phase(Phase v) { phase = v; return this; }
        public Builder attempt(int v) { attempt = v; return this; }
        public Builder stepId(String v) { stepId = v; return this; }
        public Builder lease(String by, Instant until) { lockedBy = by; leaseUntil = until; return this; }
        public Builder queuedAt(Instant v) { queuedAt = v; return this; }
        public Builder startedAt(Instant v) { startedAt = v; return this; }
        public Builder completedAt(Instant v) { completedAt = v; return this; }
        public Builder output(JsonNode v) { output = v; return this; }
        public Builder error(String v) { error = v; return this; }
        public Builder dueAt(Instant v) { dueAt = v; return this; }
        public Builder notBefore(Instant v) { notBefore = v; return this; }
        public Builder decision(JsonNode v) { decision = v; return this; }
        public Builder metadata(JsonNode v) { metadata = v; return this; }
        public Builder progress(JsonNode v) { progress = v; progressGiven = true; return this; }

        /**
         * A node that becomes final drops its progress (a join's, a map's) unless this change gives it one.
         *
         * @throws IllegalStateException for a move the transition table does not allow: a bug, never a race
         */
        public NodeState build() {
            if (!s.phase.canBecome(phase)) {
                throw new IllegalStateException("node " + s.nodeId + " cannot go from " + s.phase + " to " + phase);
            }
            if (phase.isFinal() && !progressGiven) {
                progress = null;
            }
            return new NodeState(s.nodeId, phase, attempt, stepId, s.rev + 1, lockedBy, leaseUntil, queuedAt,
                    startedAt, completedAt, output, error, dueAt, notBefore, decision, metadata, progress,
                    attempt == s.attempt ? input : null);
        }
    }
}
