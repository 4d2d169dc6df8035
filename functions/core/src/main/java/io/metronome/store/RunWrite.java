package io.metronome.store;

import io.metronome.domain.NodeState;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.StepStatus;
import io.metronome.domain.Times;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One conditional write to a run item: what it changes and the condition under which it may happen. Every
 * condition the engine uses is built by a {@code require...} method here, so the concurrency design can be read
 * (and is tested) in one place. Step counters are aggregated so several node changes in one write stay valid.
 */
public final class RunWrite {
    final String runId;
    private final List<String> sets = new ArrayList<>();
    private final List<String> removes = new ArrayList<>();
    private final List<String> conditions = new ArrayList<>();
    private final Map<String, String> names = new HashMap<>();
    private final Map<String, AttributeValue> values = new HashMap<>();
    private final Map<StepStatus, Integer> countDeltas = new EnumMap<>(StepStatus.class);
    private int newSteps;
    private int newAttempts;
    private long addedDurationMs;
    private int addedAuditEvents;
    /** The attempt number of the node this write starts (the run's attemptCount), 0 if none. */
    private int startedAttempt;
    /** The steps this write ends, by node id: the run item's {@code ended} for this version only. */
    private final Map<String, AttributeValue> ended = new java.util.TreeMap<>();
    private int seq;

    public RunWrite(String runId, Instant now) {
        this.runId = runId;
        set("updatedAt", Items.time(now));
        sets.add(name("rev") + " = " + name("rev") + " + " + value(Items.n(1)));
    }

    // ----- changes -----

    public RunWrite set(String attribute, AttributeValue v) {
        sets.add(name(attribute) + " = " + value(v));
        return this;
    }

    public RunWrite status(String metronomeId, RunStatus status) {
        set("status", Items.s(status.wire()));
        return set("metronomeStatus", Items.s(RunItems.statusKey(metronomeId, status)));
    }

    public RunWrite text(String attribute, String v) {
        return set(attribute, Items.s(v));
    }

    public RunWrite flag(String attribute, boolean v) {
        return set(attribute, Items.bool(v));
    }

    public RunWrite json(String attribute, com.fasterxml.jackson.databind.JsonNode v) {
        return set(attribute, Items.json(v));
    }

    public RunWrite time(String attribute, Instant v) {
        return set(attribute, Items.time(v));
    }

    /**
     * Puts the run in the sweeper's index at {@code at}, for a write whose messages follow it (resume, approve,
     * cancel): should the send fail, the sweeper finds the run then. Not for the worker's writes: they leave the
     * index alone, so a node costs no index write.
     */
    public RunWrite sweepAt(Instant at) {
        set("sweepShard", Items.s(RunItems.sweepShard(runId)));
        return time("sweepAt", at);
    }

    /**
     * Writes a node's whole state and keeps the step counters in line with the change of its step. A node that
     * becomes final leaves the run item (its step record and output hold it from then on), unless it still has a
     * hand-off to make ({@code progress}).
     *
     * @param before the node's state before this write, or null when the node enters the run
     */
    public RunWrite node(NodeState before, NodeState after) {
        String path = "nodes." + name(after.nodeId());
        if (after.phase().isFinal() && after.progress() == null) {
            removes.add(path);
        } else {
            sets.add(path + " = " + value(RunItems.nodeToAttr(after)));
        }
        if (after.phase().stepStatus() == null) {
            return this; // a join still waiting has no step
        }
        boolean sameStep = before != null && before.stepId() != null && before.stepId().equals(after.stepId());
        if (sameStep) {
            move(before.phase().stepStatus(), after.phase().stepStatus());
        } else {
            newSteps++;
            move(null, after.phase().stepStatus());
        }
        boolean started = after.startedAt() != null && (!sameStep || before.startedAt() == null);
        if (started) {
            newAttempts++;
            startedAttempt = Math.max(startedAttempt, after.attempt());
        }
        boolean finished = after.phase().isFinal() && (!sameStep || !before.phase().isFinal());
        if (finished && after.durationMs() != null) {
            addedDurationMs += after.durationMs();
        }
        if (finished) {
            ended(after.nodeId(), after.attempt(), after.phase().stepStatus(), after.error());
        }
        return this;
    }

    /** Takes an entry off the run item without a step change (a join resolved as skipped). */
    public RunWrite removeNode(String nodeId) {
        removes.add("nodes." + name(nodeId));
        return this;
    }

    /** Counts a step that is recorded without ever entering the run item (a node skipped on a path not taken). */
    public RunWrite skipped() {
        newSteps++;
        move(null, StepStatus.SKIPPED);
        return this;
    }

    /**
     * Claims a node that is PENDING (the caller's condition must require that): field by field, so the claim
     * needs no read first. Mirrored by {@link io.metronome.engine.Worker}, which derives the claimed state from
     * the item as it was before this write.
     */
    public RunWrite claimPending(String nodeId, int attempt, String workerId, Instant now, Instant leaseUntil) {
        String node = "nodes." + name(nodeId) + ".";
        sets.add(node + name("ph") + " = " + value(Items.s(NodeState.Phase.RUNNING.name())));
        sets.add(node + name("lb") + " = " + value(Items.s(workerId)));
        sets.add(node + name("lu") + " = " + value(Items.time(leaseUntil)));
        sets.add(node + name("sa") + " = " + value(Items.time(now)));
        sets.add(node + name("rv") + " = " + node + name("rv") + " + " + value(Items.n(1)));
        set("lockedAt", Items.time(now));
        set("lockedBy", Items.s(workerId));
        set("nextAttemptAt", Items.NULL); // the attempt it announced is starting
        startedAttempt = Math.max(startedAttempt, attempt);
        move(StepStatus.QUEUED, StepStatus.RUNNING);
        newAttempts++;
        return this;
    }

    /**
     * Closes an ended run: its summary's counters set from its step records (every step, recorded once), once,
     * so the write requires the run not closed yet.
     */
    public RunWrite closed(List<io.metronome.domain.Step> all) {
        String attr = name("closed");
        conditions.add("attribute_not_exists(" + attr + ")");
        sets.add(attr + " = " + value(Items.bool(true)));
        Map<String, AttributeValue> counts = new HashMap<>();
        for (StepStatus st : StepStatus.values()) {
            counts.put(st.wire(), Items.n(all.stream().filter(x -> x.status() == st).count()));
        }
        set("statusCounts", AttributeValue.fromM(counts));
        set("stepCount", Items.n(all.size()));
        set("totalAttempts", Items.n(all.stream().filter(x -> x.startedAt() != null).count()));
        set("totalDurationMs", Items.n(all.stream().filter(x -> x.status().isFinal() && x.durationMs() != null)
                .mapToLong(io.metronome.domain.Step::durationMs).sum()));
        return this;
    }

    /**
     * Takes an ended run up again (a redrive): it is no longer closed (so it closes again when it next ends) and
     * its redrives are counted; the condition requires it closed, as the redrive read it.
     */
    public RunWrite redriven() {
        String attr = name("closed");
        conditions.add("attribute_exists(" + attr + ")");
        removes.add(attr);
        String count = name("redriveCount");
        sets.add(count + " = if_not_exists(" + count + ", " + value(Items.n(0)) + ") + " + value(Items.n(1)));
        return this;
    }

    /**
     * Accounts for a step of a node's earlier attempt that this write closes (the node moves to a new step).
     *
     * @param before the node as it was, on the earlier attempt's step
     * @param closed that step's final state (as its record has it)
     */
    public RunWrite closedEarlierStep(NodeState before, NodeState closed) {
        move(before.phase().stepStatus(), closed.phase().stepStatus());
        if (closed.durationMs() != null) {
            addedDurationMs += closed.durationMs();
        }
        ended(before.nodeId(), before.attempt(), closed.phase().stepStatus(), closed.error());
        return this;
    }

    /**
     * Notes on the run item that this write ended a node's step, and how, for this version only: a node that
     * ends leaves the item in the same write, and whoever compares two versions (the run's events) must still
     * tell a completed node from a failed one. Small (a status, an attempt, a short error), and only on the
     * writes that end steps: every other write removes it.
     */
    private void ended(String nodeId, int attempt, StepStatus status, String error) {
        Map<String, AttributeValue> e = new HashMap<>();
        e.put("st", Items.s(status.wire()));
        e.put("at", Items.n(attempt));
        if (error != null) {
            e.put("err", Items.s(error.length() <= Run.EndedStep.MAX_ERROR_CHARS ? error
                    : error.substring(0, Run.EndedStep.MAX_ERROR_CHARS - 1) + "\u2026"));
        }
        ended.put(nodeId, AttributeValue.fromM(e));
    }

    /** Adds an llm step's cost to the run's total. */
    public RunWrite addLlmCost(double ct) {
        if (ct != 0) {
            sets.add(name("llmInferenceCt") + " = " + name("llmInferenceCt") + " + " + value(Items.n(ct)));
        }
        return this;
    }

    /** Replaces the run's breakpoints (none: the attribute goes). */
    public RunWrite breakpoints(List<String> nodeIds) {
        if (nodeIds.isEmpty()) {
            removes.add(name("pauseBefore"));
            return this;
        }
        Map<String, AttributeValue> ids = new HashMap<>();
        nodeIds.forEach(id -> ids.put(id, Items.bool(true)));
        return set("pauseBefore", AttributeValue.fromM(ids));
    }

    /** Sets the run's cost budget (null: no budget). */
    public RunWrite budget(Double ct) {
        if (ct == null) {
            removes.add(name("budgetCt"));
            return this;
        }
        return set("budgetCt", Items.n(ct));
    }

    /**
     * Replaces the run's scheduled pause and resume (null: none). {@code pauseAt} stands on its own so that a
     * claim's condition can compare it ({@link #requireBeforeScheduledPause}).
     */
    public RunWrite schedule(io.metronome.domain.Run.Schedule s) {
        time("pauseAt", s == null ? null : s.pauseAt());
        time("resumeAt", s == null ? null : s.resumeAt());
        return json("scheduledBy", s == null ? null : RunItems.scheduledBy(s));
    }

    /** Adds a pause that ended to the run's time paused. */
    public RunWrite addPausedMs(long ms) {
        if (ms != 0) {
            sets.add(name("pausedMs") + " = if_not_exists(" + name("pausedMs") + ", " + value(Items.n(0L)) + ") + "
                    + value(Items.n(ms)));
        }
        return this;
    }

    void countAuditEvents(int n) {
        addedAuditEvents += n;
    }

    private void move(StepStatus from, StepStatus to) {
        if (from == to) {
            return;
        }
        if (from != null) {
            countDeltas.merge(from, -1, Integer::sum);
        }
        countDeltas.merge(to, 1, Integer::sum);
    }

    // ----- conditions -----

    public RunWrite requireStatus(Set<RunStatus> allowed) {
        String list = allowed.stream().map(s -> value(Items.s(s.wire()))).collect(Collectors.joining(", "));
        conditions.add(name("status") + " IN (" + list + ")");
        return this;
    }

    /** The run item is there (an update would otherwise create one). */
    public RunWrite requireExists() {
        conditions.add("attribute_exists(" + name(RunItems.PK) + ")");
        return this;
    }

    /** Optimistic concurrency on the whole run: nothing has written it since it was read. */
    public RunWrite requireRev(long rev) {
        conditions.add(name("rev") + " = " + value(Items.n(rev)));
        return this;
    }

    /** Optimistic concurrency on one node: it is still in the state this write was computed from. */
    public RunWrite requireNodeRev(String nodeId, long rev) {
        conditions.add("nodes." + name(nodeId) + "." + name("rv") + " = " + value(Items.n(rev)));
        return this;
    }

    public RunWrite requireNodeAbsent(String nodeId) {
        conditions.add("attribute_not_exists(nodes." + name(nodeId) + ")");
        return this;
    }

    public RunWrite requireNodePhase(String nodeId, NodeState.Phase phase) {
        conditions.add("nodes." + name(nodeId) + "." + name("ph") + " = " + value(Items.s(phase.name())));
        return this;
    }

    public RunWrite requireNodeAttempt(String nodeId, int attempt) {
        conditions.add("nodes." + name(nodeId) + "." + name("at") + " = " + value(Items.n(attempt)));
        return this;
    }

    /** The run's timeout has not passed (runs without one have no deadline). */
    public RunWrite requireBeforeDeadline(Instant now) {
        String d = name("deadlineAt");
        conditions.add("(attribute_type(" + d + ", " + value(Items.s("NULL")) + ") OR " + d + " > "
                + value(Items.s(Times.format(now))) + ")");
        return this;
    }

    /**
     * The run has no scheduled pause due by {@code now}: a node may start. At and after its time, no node starts
     * before the run has paused, however late the schedule's own message comes.
     */
    public RunWrite requireBeforeScheduledPause(Instant now) {
        String p = name("pauseAt");
        conditions.add("(attribute_not_exists(" + p + ") OR attribute_type(" + p + ", " + value(Items.s("NULL"))
                + ") OR " + p + " > " + value(Items.s(Times.format(now))) + ")");
        return this;
    }

    /** The node is none of the run's breakpoints: its first attempt may start without pausing the run first. */
    public RunWrite requireNoBreakpoint(String nodeId) {
        conditions.add("attribute_not_exists(" + name("pauseBefore") + "." + name(nodeId) + ")");
        return this;
    }

    /**
     * The run's cost is under its budget, or it has none: a node that costs may start. The run item sums the
     * steps' cost as {@code llmInferenceCt} ({@link Run#costCt}).
     */
    public RunWrite requireUnderBudget() {
        String budget = name("budgetCt");
        conditions.add("(attribute_not_exists(" + budget + ") OR " + name("llmInferenceCt") + " < " + budget + ")");
        return this;
    }

    // ----- rendering -----

    String updateExpression() {
        List<String> all = new ArrayList<>(sets);
        countDeltas.forEach((status, delta) -> {
            if (delta != 0) {
                String path = name("statusCounts") + "." + name(status.wire());
                all.add(path + " = " + path + " + " + value(Items.n(delta)));
            }
        });
        addCounter(all, "stepCount", newSteps);
        addCounter(all, "totalAttempts", newAttempts);
        addCounter(all, "totalDurationMs", addedDurationMs);
        if (startedAttempt > 0) {
            all.add(name("attemptCount") + " = " + value(Items.n(startedAttempt)));
        }
        addCounter(all, "auditEventCount", addedAuditEvents);
        List<String> removed = new ArrayList<>(removes);
        if (ended.isEmpty()) {
            removed.add(name("ended")); // what an earlier write ended is not this version's
        } else {
            all.add(name("ended") + " = " + value(AttributeValue.fromM(ended)));
        }
        return "SET " + String.join(", ", all) + (removed.isEmpty() ? "" : " REMOVE " + String.join(", ", removed));
    }

    private void addCounter(List<String> all, String attribute, long delta) {
        if (delta != 0) {
            all.add(name(attribute) + " = " + name(attribute) + " + " + value(Items.n(delta)));
        }
    }

    String conditionExpression() {
        return conditions.isEmpty() ? null : String.join(" AND ", conditions);
    }

    Map<String, String> names() {
        return names;
    }

    Map<String, AttributeValue> values() {
        return values;
    }

    private String name(String attribute) {
        for (Map.Entry<String, String> e : names.entrySet()) {
            if (e.getValue().equals(attribute)) {
                return e.getKey();
            }
        }
        String placeholder = "#a" + names.size();
        names.put(placeholder, attribute);
        return placeholder;
    }

    private String value(AttributeValue v) {
        String placeholder = ":v" + seq++;
        values.put(placeholder, v);
        return placeholder;
    }
}
