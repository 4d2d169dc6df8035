package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.AuditEvent;
import io.metronome.domain.Definition;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.PauseClock;
import io.metronome.domain.RequestBody;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.RunTransition;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.domain.Times;
import io.metronome.domain.TriggerEvent;
import io.metronome.store.AuditRepository;
import io.metronome.store.Cursors;
import io.metronome.store.MetronomeRepository;
import io.metronome.store.RunConflict;
import io.metronome.store.RunData;
import io.metronome.store.TimelineCursor;
import io.metronome.store.RunRepository;
import io.metronome.store.RunWrite;
import io.metronome.store.StepRepository;
import io.metronome.store.TriggerEventRepository;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What users do to runs: start, pause, resume, cancel, approve, read, list, and read the timeline. Each state
 * change is one audited conditional write made against the revision just read, so racing calls are ordered:
 * the loser re-reads and decides again, and only accepted calls are audited.
 */
public final class RunService {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RunService.class);
    public static final long IDEMPOTENCY_SECONDS = 48 * 3600;
    public static final long MAX_TIMEOUT_MS = 30L * 24 * 3600 * 1000;
    /** The highest cost budget a run or a definition may set, in cents: a million dollars. */
    public static final double MAX_BUDGET_CT = io.metronome.domain.DefinitionParser.MAX_BUDGET_CT;
    private static final int MAX_INPUT_BYTES = Worker.MAX_OUTPUT_BYTES;
    /** A timeline page's steps and audit events together stay under this (API Gateway and Lambda allow 6 MB). */
    static final int MAX_PAGE_BYTES = 1_000_000;
    private static final int ATTEMPTS = 20;
    /**
     * Nodes parked in place: where a paused run waits (with those waiting out a retry's backoff). The nodes in
     * flight ({@link NodeState#inFlight}) reach their checkpoint themselves, and the last of them to settle
     * audits the pause.
     */
    private static final Set<Phase> PARKED = EnumSet.of(Phase.PAUSED, Phase.WAITING, Phase.WAITING_APPROVAL,
            Phase.MAPPING);

    private final RunRepository runs;
    private final StepRepository steps;
    private final RunData data;
    private final AuditRepository audit;
    private final TriggerEventRepository triggers;
    private final MetronomeRepository metronomes;
    private final Dispatcher dispatcher;
    private final EngineSettings settings;
    private final Clock clock;
    /** A bulk job this service acts for (its id goes into every event it audits), or null. */
    private final String bulkJobId;
    /** Told of each change this service makes for that job. */
    private final Runnable onBulkChange;

    public RunService(RunRepository runs, StepRepository steps, RunData data, AuditRepository audit,
                      TriggerEventRepository triggers, MetronomeRepository metronomes, Dispatcher dispatcher,
                      EngineSettings settings, Clock clock) {
        this(runs, steps, data, audit, triggers, metronomes, dispatcher, settings, clock, null, null);
    }

    private RunService(RunRepository runs, StepRepository steps, RunData data, AuditRepository audit,
                       TriggerEventRepository triggers, MetronomeRepository metronomes, Dispatcher dispatcher,
                       EngineSettings settings, Clock clock, String bulkJobId, Runnable onBulkChange) {
        this.bulkJobId = bulkJobId;
        this.onBulkChange = onBulkChange;
        this.runs = runs;
        this.steps = steps;
        this.data = data;
        this.audit = audit;
        this.triggers = triggers;
        this.metronomes = metronomes;
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.clock = clock;
    }

    /** @param created false when the idempotency key returned an existing run */
    public record Started(Run run, boolean created) {
    }

    public record RunPage(List<Run> runs, String nextCursor) {
    }

    /** One page of a run's timeline; {@code nextCursor} is null on the last. */
    public record Timeline(Run run, TriggerEvent triggerEvent, List<Step> steps, List<AuditEvent> auditEvents,
                           Summary summary, String nextCursor) {
    }

    public record Summary(String status, int stepCount, int completedStepCount, int failedStepCount,
                          int cancelledStepCount, int pausedStepCount, Map<StepStatus, Integer> statusCounts,
                          List<Run.BranchDecision> branchDecisions, List<String> threadIds, long totalDurationMs,
                          int totalAttempts, double llmInferenceCt, double resourcesCt, double totalCt,
                          String attachedProjectId, String attachedTicketId, int auditEventCount) {
    }

    /**
     * This service acting for a bulk job: the same operations, but every event they audit carries
     * {@code bulkJobId} in its payload, and {@code onChange} is told of each change accepted (not of a call that
     * found nothing to change).
     */
    public RunService forBulkJob(String jobId, Runnable onChange) {
        return new RunService(runs, steps, data, audit, triggers, metronomes, dispatcher, settings, clock, jobId, onChange);
    }

    private List<AuditEvent> stamped(List<AuditEvent> events) {
        if (bulkJobId == null) {
            return events;
        }
        return events.stream().map(e -> {
            ObjectNode payload = e.payload() instanceof ObjectNode o ? o.deepCopy() : Json.object();
            payload.put("bulkJobId", bulkJobId);
            return new AuditEvent(e.id(), e.metronomeId(), e.userId(), e.actorUserId(), e.runId(), e.versionId(),
                    e.action(), payload, e.createdAt());
        }).toList();
    }

    // ---------------------------------------------------------------- start

    public Started start(String userId, String metronomeId, JsonNode body) {
        RequestBody b = new RequestBody(body, Set.of("input", "idempotencyKey", "attachedProjectId",
                "attachedTicketId", "timeoutMs", "pauseBefore", "budgetCt", "timeoutPolicy"));
        JsonNode input = b.raw("input");
        if (input.toString().length() > MAX_INPUT_BYTES) {
            b.error("input", "at most " + MAX_INPUT_BYTES + " bytes of JSON");
        }
        String key = b.text("idempotencyKey", false, 255);
        String project = b.text("attachedProjectId", false, 256);
        String ticket = b.text("attachedTicketId", false, 256);
        Long timeout = b.integer("timeoutMs", 1000, MAX_TIMEOUT_MS);
        Double budget = b.number("budgetCt", 0, MAX_BUDGET_CT);
        String policyName = b.text("timeoutPolicy", false, 32);
        Run.TimeoutPolicy policy = policyName == null ? Run.TimeoutPolicy.WALL_CLOCK : Run.TimeoutPolicy.fromWire(policyName);
        if (policy == null) {
            b.error("timeoutPolicy", "must be 'wallClock' (the default) or 'excludePaused'");
        }
        JsonNode pauseBefore = b.raw("pauseBefore");
        b.check();
        Metronome m = ownedMetronome(userId, metronomeId);
        Definition def = metronomes.version(m.id(), m.versionId()).definition();
        Run.Controls controls = new Run.Controls(breakpoints(pauseBefore, def), budget != null ? budget : def.budgetCt(),
                policy);
        ObjectNode payload = Json.object();
        payload.set("input", input);
        return start(Ids.next(Ids.RUN), m, input, key, project, ticket, timeout, "manual", null,
                "started through the API by " + userId, payload, userId, true, true, IDEMPOTENCY_SECONDS, controls,
                Run.Lineage.NONE);
    }

    /**
     * Breakpoints as a request names them: an array of the definition's node ids (a map's children are not
     * nodes of it; a breakpoint on the map pauses before the map starts). Null or absent: none. 400 otherwise.
     */
    static List<String> breakpoints(JsonNode ids, Definition def) {
        if (ids == null || ids.isNull() || ids.isMissingNode()) {
            return List.of();
        }
        if (!ids.isArray() || ids.size() > io.metronome.domain.DefinitionParser.MAX_NODES) {
            throw ApiException.validation("pauseBefore", "must be an array of at most "
                    + io.metronome.domain.DefinitionParser.MAX_NODES + " node ids of the definition");
        }
        List<ApiException.ErrorDetail> errors = new ArrayList<>();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            JsonNode id = ids.get(i);
            if (!id.isTextual() || !def.hasNode(id.asText())) {
                errors.add(new ApiException.ErrorDetail("pauseBefore[" + i + "]", (id.isTextual() ? "'" + id.asText()
                        + "' is no" : "must be a") + " node id of the definition; one of "
                        + String.join(", ", def.nodes().keySet().stream().sorted().limit(20).toList())
                        + (def.nodes().size() > 20 ? ", ..." : "")));
            } else {
                out.add(id.asText());
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
        }
        return out;
    }

    /** Starts a run of a metronome's current version; shared by every trigger. */
    public Started start(Metronome m, JsonNode input, String idempotencyKey, String projectId, String ticketId,
                         Long timeoutMs, String triggerType, String sourceEventId, String summary,
                         JsonNode triggerPayload, String actorUserId) {
        return start(m, input, idempotencyKey, projectId, ticketId, timeoutMs, triggerType, sourceEventId, summary,
                triggerPayload, actorUserId, IDEMPOTENCY_SECONDS);
    }

    /** As above, keeping the idempotency key for {@code idempotencySeconds} (triggers keep it past any redelivery). */
    public Started start(Metronome m, JsonNode input, String idempotencyKey, String projectId, String ticketId,
                         Long timeoutMs, String triggerType, String sourceEventId, String summary,
                         JsonNode triggerPayload, String actorUserId, long idempotencySeconds) {
        return start(Ids.next(Ids.RUN), m, input, idempotencyKey, projectId, ticketId, timeoutMs, triggerType,
                sourceEventId, summary, triggerPayload, actorUserId, true, true, idempotencySeconds);
    }

    /** The run an idempotency key started, if the key is still held. */
    public java.util.Optional<Run> findByIdempotencyKey(Metronome m, String idempotencyKey) {
        return runs.findIdempotent(m.id(), idempotencyKey, clock.instant()).flatMap(runs::find);
    }

    /**
     * Starts a run under a given id, optionally without sending its first message: for sample data that files
     * in {@code events/} refer to by id. Not reachable through the API. A run not sent is left out of the
     * sweeper's index too, so it waits for what the files do to it.
     */
    public Started startWithId(String runId, Metronome m, JsonNode input, boolean dispatch) {
        return startWithId(runId, m, input, dispatch, dispatch);
    }

    /** As above; {@code swept} with {@code dispatch} false: a run whose first message was lost, for the sweeper. */
    public Started startWithId(String runId, Metronome m, JsonNode input, boolean dispatch, boolean swept) {
        return start(runId, m, input, null, null, null, null, "manual", null, "sample data", Json.object(),
                m.userId(), dispatch, swept, IDEMPOTENCY_SECONDS);
    }

    private Started start(String runId, Metronome m, JsonNode input, String idempotencyKey, String projectId,
                          String ticketId, Long timeoutMs, String triggerType, String sourceEventId, String summary,
                          JsonNode triggerPayload, String actorUserId, boolean dispatch, boolean swept,
                          long idempotencySeconds) {
        return start(runId, m, input, idempotencyKey, projectId, ticketId, timeoutMs, triggerType, sourceEventId,
                summary, triggerPayload, actorUserId, dispatch, swept, idempotencySeconds, null, Run.Lineage.NONE);
    }

    /** @param controls null: the definition's budget, no breakpoints, the wall-clock timeout */
    private Started start(String runId, Metronome m, JsonNode input, String idempotencyKey, String projectId,
                          String ticketId, Long timeoutMs, String triggerType, String sourceEventId, String summary,
                          JsonNode triggerPayload, String actorUserId, boolean dispatch, boolean swept,
                          long idempotencySeconds, Run.Controls controls, Run.Lineage lineage) {
        if (input != null && input.toString().length() > MAX_INPUT_BYTES) {
            throw ApiException.validation("input", "at most " + MAX_INPUT_BYTES + " bytes of JSON");
        }
        Instant now = clock.instant();
        Definition def = metronomes.version(m.id(), m.versionId()).definition();
        String triggerId = Ids.next(Ids.TRIGGER_EVENT);
        long timeout = timeoutMs != null ? timeoutMs : m.timeoutMs();
        int maxAttempts = m.maxAttempts() > 0 ? m.maxAttempts() : settings.defaultMaxAttempts();
        NodeState first = NodeState.pending(def.startNodeId(), 1, now, null);
        Map<StepStatus, Integer> counts = new EnumMap<>(StepStatus.class);
        counts.put(StepStatus.QUEUED, 1);
        Run run = new Run(runId, m.id(), m.userId(), triggerType, m.versionId(), triggerId, idempotencyKey,
                RunStatus.QUEUED, input, null, null, null, now, null, null, null, 0, maxAttempts, timeout,
                projectId, ticketId, null, now, now, null, timeout > 0 ? now.plusMillis(timeout) : null, 1,
                Map.of(first.nodeId(), first),
                new Run.Summary(1, counts, 0, 0, List.of(), List.of(), 0, 0, 1), null, false, false)
                .withControls(controls != null ? controls
                        : new Run.Controls(List.of(), def.budgetCt(), Run.TimeoutPolicy.WALL_CLOCK))
                .withLineage(lineage);
        TriggerEvent trigger = new TriggerEvent(triggerId, m.id(), m.userId(), runId, triggerType, "matched",
                sourceEventId, summary, null, triggerPayload, now);
        ObjectNode createdPayload = Json.object();
        createdPayload.put("triggerEventId", triggerId);
        createdPayload.put("idempotencyKey", idempotencyKey);
        if (lineage.rerunOf() != null) {
            createdPayload.put("rerunOf", lineage.rerunOf());
        }
        AuditEvent created = AuditEvent.of(run, actorUserId, "run.created", createdPayload, now);
        var existing = runs.create(run, trigger, created, now, idempotencySeconds, swept ? sweepAt(now) : null);
        if (existing.isPresent()) {
            Run found = runs.find(existing.get()).map(this::withInput).orElseThrow(() -> new IllegalStateException(
                    "idempotency key names run " + existing.get() + ", which does not exist"));
            redispatch(found); // in case the first request stopped before its message was sent
            return new Started(found, false);
        }
        io.metronome.observe.Metrics.runStarted();
        LOG.info("run {} of {} started ({})", runId, m.id(), triggerType);
        if (!dispatch) {
            return new Started(run, true);
        }
        List<NodeMessage> messages = new ArrayList<>();
        messages.add(NodeMessage.node(runId, first.nodeId(), 1, null));
        if (run.deadlineAt() != null) {
            messages.add(NodeMessage.deadline(runId, run.deadlineAt()));
        }
        dispatcher.send(messages);
        return new Started(run, true);
    }

    // ---------------------------------------------------------------- control

    /**
     * A queued, running or waiting run is paused at once; the node executing now finishes, no other starts. With
     * {@code resumeAt} it resumes by itself then ({@link #takeSchedule}); on a run paused already, {@code resumeAt}
     * sets when it resumes (audited {@code run.resume_scheduled}). A pause without one leaves a schedule alone.
     */
    public Run pause(String userId, String metronomeId, String runId, JsonNode body) {
        RequestBody b = new RequestBody(body, Set.of("reason", "resumeAt"));
        String reason = b.text("reason", false, 1000);
        Instant resumeAt = scheduleTime(b, "resumeAt", false, clock.instant());
        b.check();
        return change(userId, metronomeId, runId, run -> {
            if (run.isTerminal()) {
                if (resumeAt != null) {
                    throw ApiException.invalidState("run " + run.id() + " is " + run.status().wire()
                            + "; it cannot be paused, nor resumed at " + Times.format(resumeAt));
                }
                return null; // ended: unchanged
            }
            Instant now = clock.instant();
            Run.Schedule current = run.pause().schedule();
            Run.Schedule schedule = resumeAt == null ? null : new Run.Schedule(null, resumeAt, reason, userId, now);
            if (run.status() == RunStatus.PAUSED) {
                if (schedule == null || current != null && current.pauseAt() == null && resumeAt.equals(current.resumeAt())) {
                    return null; // already paused (and resuming then)
                }
                if (PauseSchedule.heldByBudget(run)) {
                    throw ApiException.invalidState("run " + run.id() + " is paused at its budget (" + run.costCt()
                            + " ct of " + run.controls().budgetCt() + " ct): only a resume with a higher budgetCt goes on");
                }
                if (reason == null && current != null) {
                    schedule = new Run.Schedule(null, resumeAt, current.reason(), userId, now); // moved, same reason
                }
                ObjectNode payload = schedulePayload(schedule);
                if (current != null) {
                    payload.set("previous", schedulePayload(current));
                }
                return new Change(new RunWrite(run.id(), now).requireRev(run.rev()).schedule(schedule).sweepAt(sweepAt(now)),
                        List.of(AuditEvent.of(run, userId, "run.resume_scheduled", payload, now)));
            }
            ObjectNode requested = reasonPayload(reason);
            if (schedule != null) {
                requested.put("resumeAt", Times.format(resumeAt));
                if (current != null) {
                    requested.set("previousSchedule", schedulePayload(current)); // this pause and its resume replace it
                }
            }
            Change pause = pauseChange(run, userId, requested, PauseBefore.REQUESTED, now);
            if (schedule != null) {
                pause.write().schedule(schedule).sweepAt(sweepAt(now));
            }
            return pause;
        }, this::sendSchedule);
    }

    /**
     * The write and audit that pause an active run, for {@code actorUserId} ({@code cause} requested or
     * scheduled, {@code requested} the payload of its {@code run.pause_requested}): the run is parked at once
     * when nothing is in flight, else when the last node in flight settles.
     */
    private static Change pauseChange(Run run, String actorUserId, ObjectNode requested, String cause, Instant now) {
        ObjectNode why = Json.object().put("reason", cause);
        RunWrite w = write(run, now, RunTransition.PAUSE).status(run.metronomeId(), RunStatus.PAUSED)
                .text("resumeTo", run.status().wire()).time("pausedAt", now).json("pauseCause", why);
        List<AuditEvent> events = new ArrayList<>();
        events.add(AuditEvent.of(run, actorUserId, "run.pause_requested", requested, now));
        boolean settled = run.nodes().values().stream().noneMatch(NodeState::inFlight);
        w.flag("pauseSettled", settled);
        if (settled) {
            // Nothing is about to run: the run is parked right here, at the nodes that wait.
            events.add(AuditEvent.of(run, null, "run.paused", checkpoint(run, why), now));
        }
        return new Change(w, events);
    }

    /**
     * Where a paused run parked: {@code checkpoint} the first node (in node order) and {@code checkpoints} all of
     * them, the nodes paused before they started and those waiting for a deadline, a decision or children.
     */
    static ObjectNode checkpoint(Run run) {
        return checkpoint(run, run.pause().cause());
    }

    /**
     * As above, for a pause with this cause ({@code reason}: requested, breakpoint or budget, with what goes with
     * it): a pause before a node (a breakpoint, the budget) names that node as the checkpoint.
     */
    static ObjectNode checkpoint(Run run, JsonNode cause) {
        List<String> parked = run.nodes().values().stream().filter(s -> PARKED.contains(s.phase()) || s.deferred())
                .map(NodeState::nodeId).sorted(RunEvents.NODE_ORDER).toList();
        ObjectNode payload = Json.object();
        String before = cause == null ? null : cause.path("nodeId").asText(null);
        payload.put("checkpoint", before != null ? before : parked.isEmpty() ? null : parked.get(0));
        var all = payload.putArray("checkpoints");
        parked.forEach(all::add);
        if (cause != null && cause.isObject()) {
            payload.setAll((ObjectNode) cause.deepCopy());
        }
        return payload;
    }

    /**
     * A paused run continues from where it parked; an active one is left as it is; an ended one is a 409. With
     * {@code budgetCt}, the run's budget is set to it in the same write (a run paused at its budget goes on only
     * with a budget above what it has cost: 409 otherwise; an active run's budget is set, audited
     * {@code run.budget_set}, and nothing else changes). The pause's length is added to the run's time paused;
     * under {@code excludePaused} the run's deadline moves on by it.
     */
    public Run resume(String userId, String metronomeId, String runId, JsonNode body) {
        RequestBody b = new RequestBody(body, Set.of("reason", "budgetCt"));
        String reason = b.text("reason", false, 1000);
        Double budget = b.number("budgetCt", 0, MAX_BUDGET_CT);
        b.check();
        return change(userId, metronomeId, runId, run -> {
            if (run.isTerminal()) {
                throw ApiException.invalidState("run " + run.id() + " is " + run.status().wire() + " and cannot be resumed");
            }
            Double before = run.controls().budgetCt();
            if (run.status() != RunStatus.PAUSED) {
                if (budget != null && !budget.equals(before)) {
                    // Active: only the budget changes (raised before the run reaches it, it never pauses for it).
                    Instant now = clock.instant();
                    ObjectNode payload = Json.object().put("budgetCt", budget);
                    payload.put("previousBudgetCt", before);
                    return new Change(new RunWrite(run.id(), now).requireRev(run.rev()).budget(budget),
                            List.of(AuditEvent.of(run, userId, "run.budget_set", payload, now)));
                }
                redispatch(run); // already active; send parked nodes again in case an earlier resume stopped short
                return null;
            }
            Double after = budget != null ? budget : before;
            JsonNode cause = run.pause().cause();
            if (cause != null && PauseBefore.BUDGET.equals(cause.path("reason").asText()) && after != null
                    && run.costCt() >= after) {
                throw ApiException.invalidState("run " + run.id() + " is paused at its budget: its steps have cost "
                        + run.costCt() + " ct, its budget is " + after + " ct; resume it with a budgetCt above "
                        + run.costCt());
            }
            return resumeChange(run, userId, reasonPayload(reason), budget, clock.instant());
        }, this::resumed);
    }

    /**
     * The write and audit that resume a paused run, for {@code actorUserId} ({@code payload} that of its
     * {@code run.resumed}; {@code budget} a new budget, or null). The pause's length is added to the run's time
     * paused; under {@code excludePaused} its deadline moves on by it. A resume scheduled for this pause goes
     * with it (one by hand takes its place), so does a scheduled pause whose time has come (this pause stands for
     * it); a pause scheduled for later stays.
     */
    private Change resumeChange(Run run, String actorUserId, ObjectNode payload, Double budget, Instant now) {
        RunStatus back = run.resumeTo() != null ? run.resumeTo() : RunStatus.RUNNING;
        Instant since = run.pause().since();
        RunWrite w = write(run, now, RunTransition.RESUME).status(run.metronomeId(), back).text("resumeTo", null)
                .time("pausedAt", null).json("pauseCause", null)
                .addPausedMs(since == null ? 0 : Math.max(0, java.time.Duration.between(since, now).toMillis()))
                .sweepAt(sweepAt(now));
        if (run.controls().timeoutPolicy() == Run.TimeoutPolicy.EXCLUDE_PAUSED && run.deadlineAt() != null) {
            Instant deadline = PauseClock.afterPause(run.deadlineAt(), since, now);
            w.time("deadlineAt", deadline);
            payload.put("deadlineAt", Times.format(deadline));
        }
        if (budget != null) {
            w.budget(budget);
            payload.put("budgetCt", budget);
            payload.put("previousBudgetCt", run.controls().budgetCt());
        }
        Run.Schedule schedule = run.pause().schedule();
        if (schedule != null && (schedule.pauseAt() == null || !schedule.pauseAt().isAfter(now))) {
            // Its resume was this pause's (a pause due already counts as this one): the resume ends both.
            w.schedule(null);
        }
        return new Change(w, List.of(AuditEvent.of(run, actorUserId, "run.resumed", payload, now)));
    }

    /** What follows a resume: the parked nodes sent again, and the moved deadline's message. */
    private void resumed(Run fresh) {
        redispatch(fresh);
        if (fresh.controls().timeoutPolicy() == Run.TimeoutPolicy.EXCLUDE_PAUSED && fresh.deadlineAt() != null) {
            dispatcher.send(NodeMessage.deadline(fresh.id(), fresh.deadlineAt()));
        }
    }

    // ---------------------------------------------------------------- scheduled pause and resume

    /**
     * Schedules a pause of a run that has not ended at {@code at}, and with {@code resumeAt} (after {@code at}) its
     * resume: a quiet-hours window. Replaces an earlier schedule; audited {@code run.pause_scheduled} with who
     * asked. 409 for an ended run, 400 for a time that is not ahead (at most {@link PauseSchedule#MAX_AHEAD}).
     */
    public Run schedulePause(String userId, String metronomeId, String runId, JsonNode body) {
        RequestBody b = new RequestBody(body, Set.of("at", "reason", "resumeAt"));
        Instant asked = clock.instant();
        Instant at = scheduleTime(b, "at", true, asked);
        Instant resumeAt = scheduleTime(b, "resumeAt", false, asked);
        String reason = b.text("reason", false, 1000);
        if (at != null && resumeAt != null && !resumeAt.isAfter(at)) {
            b.error("resumeAt", "must be after at");
        }
        b.check();
        return change(userId, metronomeId, runId, run -> {
            if (run.isTerminal()) {
                throw ApiException.invalidState("run " + run.id() + " is " + run.status().wire()
                        + "; only a run that has not ended can be paused");
            }
            Run.Schedule current = run.pause().schedule();
            if (current != null && at.equals(current.pauseAt()) && java.util.Objects.equals(resumeAt, current.resumeAt())
                    && java.util.Objects.equals(reason, current.reason())) {
                return null; // the same schedule again
            }
            Instant now = clock.instant();
            Run.Schedule schedule = new Run.Schedule(at, resumeAt, reason, userId, now);
            ObjectNode payload = schedulePayload(schedule);
            if (current != null) {
                payload.set("previous", schedulePayload(current));
            }
            return new Change(new RunWrite(run.id(), now).requireRev(run.rev()).schedule(schedule).sweepAt(sweepAt(now)),
                    List.of(AuditEvent.of(run, userId, "run.pause_scheduled", payload, now)));
        }, this::sendSchedule);
    }

    /**
     * Cancels what is scheduled for a run: a pause not yet taken and a resume not yet made, audited
     * {@code run.schedule_cancelled}. Nothing scheduled, or an ended run: unchanged.
     */
    public Run cancelSchedule(String userId, String metronomeId, String runId) {
        return change(userId, metronomeId, runId, run -> {
            Run.Schedule current = run.pause().schedule();
            if (current == null || run.isTerminal()) {
                return null;
            }
            Instant now = clock.instant();
            return new Change(new RunWrite(run.id(), now).requireRev(run.rev()).schedule(null),
                    List.of(AuditEvent.of(run, userId, "run.schedule_cancelled", schedulePayload(current), now)));
        }, fresh -> {
        });
    }

    /**
     * Takes what the run's schedule asks for now ({@link PauseSchedule#due}): its pause or its resume, made as the
     * pause and resume by hand are, for the user who scheduled them ({@code "scheduled": true} in the audit). A
     * pause that finds the run paused already leaves it so, keeping only the resume. Called for the schedule's
     * message and by a claim its due pause refused; anything else (early, changed since, ended) changes nothing.
     *
     * @param run the run as the caller read it (a newer version is read if the write finds it changed)
     */
    public void takeSchedule(Run run) {
        change(run, r -> {
            Instant now = clock.instant();
            Run.Schedule s = r.pause().schedule();
            ObjectNode payload = reasonPayload(s == null ? null : s.reason());
            payload.put("scheduled", true);
            return switch (PauseSchedule.due(r, now)) {
                case NOTHING -> null;
                case PAUSE -> {
                    if (r.status() == RunStatus.PAUSED) {
                        // Paused already: the schedule's pause is this one, and its resume (if any) will end it.
                        payload.put("alreadyPaused", true);
                        yield new Change(new RunWrite(r.id(), now).requireRev(r.rev()).schedule(s.pauseTaken()),
                                List.of(AuditEvent.of(r, s.requestedBy(), "run.pause_requested", payload, now)));
                    }
                    Change pause = pauseChange(r, s.requestedBy(), payload, PauseBefore.SCHEDULED, now);
                    pause.write().schedule(s.pauseTaken());
                    yield pause;
                }
                case RESUME -> resumeChange(r, s.requestedBy(), payload, null, now);
                case RESUME_REFUSED_BY_BUDGET -> {
                    payload.put("costCt", r.costCt());
                    payload.put("budgetCt", r.controls().budgetCt());
                    yield new Change(new RunWrite(r.id(), now).requireRev(r.rev()).schedule(null),
                            List.of(AuditEvent.of(r, s.requestedBy(), "run.scheduled_resume_refused", payload, now)));
                }
            };
        }, fresh -> {
            if (fresh.status() == RunStatus.PAUSED) {
                sendSchedule(fresh); // its resume, if one is left
            } else {
                resumed(fresh);
            }
        });
    }

    /** Sends the message the run's schedule waits for, if it waits for one. */
    private void sendSchedule(Run run) {
        NodeMessage m = PauseSchedule.message(run);
        if (m != null) {
            dispatcher.send(m);
        }
    }

    /** A time to schedule at: ahead of {@code now}, by at most {@link PauseSchedule#MAX_AHEAD}. */
    private static Instant scheduleTime(RequestBody b, String field, boolean required, Instant now) {
        Instant t = b.time(field, required);
        if (t != null && !t.isAfter(now)) {
            b.error(field, "must be in the future");
            return null;
        }
        if (t != null && t.isAfter(now.plus(PauseSchedule.MAX_AHEAD))) {
            b.error(field, "must be at most " + PauseSchedule.MAX_AHEAD.toDays() + " days ahead");
            return null;
        }
        return t;
    }

    private static ObjectNode schedulePayload(Run.Schedule s) {
        ObjectNode p = Json.object();
        p.put("pauseAt", Times.format(s.pauseAt()));
        p.put("resumeAt", Times.format(s.resumeAt()));
        p.put("reason", s.reason());
        return p;
    }

    /**
     * Replaces a live run's breakpoints ({@code pauseBefore}: node ids of its definition; empty: none). A node
     * the run has already started is past its breakpoint; one parked by a pause is held by it on resume.
     * Unchanged: the run as it is, nothing audited.
     */
    public Run setBreakpoints(String userId, String metronomeId, String runId, JsonNode body) {
        RequestBody b = new RequestBody(body, Set.of("pauseBefore"));
        JsonNode ids = b.raw("pauseBefore");
        if (ids.isNull()) {
            b.error("pauseBefore", "required: an array of node ids (empty: no breakpoints)");
        }
        b.check();
        return change(userId, metronomeId, runId, run -> {
            if (run.isTerminal()) {
                throw ApiException.invalidState("run " + run.id() + " is " + run.status().wire()
                        + "; breakpoints apply to a run that has not ended");
            }
            Definition def = metronomes.version(run.metronomeId(), run.versionId()).definition();
            List<String> wanted = new Run.Controls(breakpoints(ids, def), null, null).pauseBefore();
            List<String> previous = run.controls().pauseBefore();
            if (wanted.equals(previous)) {
                return null;
            }
            Instant now = clock.instant();
            RunWrite w = new RunWrite(run.id(), now).requireRev(run.rev()).breakpoints(wanted);
            ObjectNode payload = Json.object();
            wanted.forEach(payload.putArray("pauseBefore")::add);
            previous.forEach(payload.putArray("previousPauseBefore")::add);
            return new Change(w, List.of(AuditEvent.of(run, userId, "run.breakpoints_set", payload, now)));
        }, fresh -> {
        });
    }

    /** A live run is cancelled at once; nodes not yet run are recorded cancelled; the node executing finishes. */
    public Run cancel(String userId, String metronomeId, String runId, JsonNode body) {
        String reason = reason(body);
        List<NodeState> cancelled = new ArrayList<>();
        // One moment for every try: a retried write then records the same states, not new ones a record can't replace.
        Instant now = clock.instant();
        return change(userId, metronomeId, runId, run -> {
            if (run.isTerminal()) {
                return null;
            }
            RunWrite w = write(run, now, RunTransition.CANCEL).status(run.metronomeId(), RunStatus.CANCELLED)
                    .time("completedAt", now).time("nextAttemptAt", null).text("resumeTo", null)
                    .time("lockedAt", null).text("lockedBy", null).sweepAt(sweepAt(now));
            cancelled.clear();
            cancelled.addAll(Worker.cancelUnstarted(run, null, now, w));
            cancelled.forEach(c -> recordStep(run, c)); // first: once the write lands, the nodes are off the run item
            return new Change(w, List.of(
                    AuditEvent.of(run, userId, "run.cancel_requested", reasonPayload(reason), now),
                    AuditEvent.of(run, userId, "run.cancelled", reasonPayload(reason), now)));
        }, fresh -> {
            io.metronome.observe.Metrics.runCancelled();
            LOG.info("run {} cancelled", fresh.id());
            dispatcher.followUpCancelled(fresh, cancelled);
        });
    }

    /**
     * A failed or cancelled run goes on, the same run, from where it stopped ({@link Redrive#frontier}): the nodes
     * that failed or were cancelled, and those behind them, run again from a first attempt; every completed node
     * keeps its output and is not run again, and the earlier attempts' steps stay on the timeline. The run is
     * running again with a fresh timeout (its {@code timeoutMs} from now). A live or completed run is a 409, so is
     * one still ending (a node of it still settling) and one redriven {@code maxRedrives} times already.
     */
    public Run redrive(String userId, String metronomeId, String runId, JsonNode body) {
        String reason = reason(body);
        // One moment for every try, so that the skipped steps' ids (derived from it and the redrive) are the same
        // in each; they are recorded once the write is in, so a lost race or a refusal leaves none behind.
        Instant now = clock.instant();
        List<NodeState> skipped = new ArrayList<>();
        return change(userId, metronomeId, runId, run -> {
            if (!Redrive.redrivable(run.status())) {
                throw ApiException.invalidState("run " + run.id() + " is " + run.status().wire()
                        + "; only a failed or cancelled run can be redriven");
            }
            if (!run.closed() || !run.nodes().isEmpty()) {
                throw ApiException.invalidState("run " + run.id() + " is still ending (a node of it is settling); "
                        + "try again in a moment");
            }
            int max = settings.maxRedrives();
            if (run.lineage().redriveCount() >= max) {
                throw ApiException.invalidState("run " + run.id() + " has been redriven " + run.lineage().redriveCount()
                        + " times, the most a run may be (MAX_REDRIVES); rerun it instead");
            }
            Definition def = metronomes.version(run.metronomeId(), run.versionId()).definition();
            Redrive.Frontier frontier = Redrive.frontier(def, run.id(), run.lineage().redriveCount() + 1,
                    steps.summaries(run.id()), now);
            if (frontier.ready().isEmpty()) {
                throw ApiException.invalidState("run " + run.id() + " has no node left to run again");
            }
            RunWrite w = new RunWrite(run.id(), now).requireRev(run.rev()).requireStatus(EnumSet.of(run.status()))
                    .redriven().status(run.metronomeId(), RunStatus.RUNNING).time("completedAt", null)
                    .text("error", null).json("output", null).time("nextAttemptAt", null).text("resumeTo", null)
                    .time("pausedAt", null).json("pauseCause", null).flag("pauseSettled", false).schedule(null)
                    .time("deadlineAt", run.timeoutMs() > 0 ? now.plusMillis(run.timeoutMs()) : null)
                    .sweepAt(sweepAt(now));
            frontier.entries().values().forEach(e -> w.node(null, e));
            skipped.clear();
            skipped.addAll(frontier.skipped());
            skipped.forEach(skip -> w.skipped());
            ObjectNode payload = reasonPayload(reason);
            payload.put("redriveCount", run.lineage().redriveCount() + 1);
            payload.put("maxRedrives", max);
            payload.put("previousStatus", run.status().wire());
            payload.put("previousError", run.error());
            frontier.ready().forEach(payload.putArray("nodeIds")::add);
            return new Change(w, List.of(AuditEvent.of(run, userId, "run.redriven", payload, now)));
        }, fresh -> {
            skipped.forEach(skip -> recordStep(fresh, skip));
            io.metronome.observe.Metrics.runStarted();
            LOG.info("run {} redriven ({} of at most {})", fresh.id(), fresh.lineage().redriveCount(),
                    settings.maxRedrives());
            dispatcher.send(Recovery.messagesFor(fresh));
        });
    }

    /**
     * A new run of the same metronome version as this one, with its input or the one given ({@code input}), its
     * timeout and attachments: linked both ways, {@code rerunOf} on the new run (and its {@code run.created}) and
     * {@code run.rerun} with the new run's id audited on this one. Any run may be rerun, ended or not.
     */
    public Started rerun(String userId, String metronomeId, String runId, JsonNode body) {
        RequestBody b = new RequestBody(body, Set.of("input", "reason"));
        JsonNode given = b.raw("input");
        if (given.toString().length() > MAX_INPUT_BYTES) {
            b.error("input", "at most " + MAX_INPUT_BYTES + " bytes of JSON");
        }
        String reason = b.text("reason", false, 1000);
        b.check();
        Run original = withInput(owned(userId, metronomeId, runId));
        Metronome m = ownedMetronome(userId, metronomeId);
        Metronome version = new Metronome(m.id(), m.userId(), m.name(), m.description(), m.trigger(), m.definition(),
                original.versionId(), m.versionNumber(), original.maxAttempts(), original.timeoutMs(), m.createdAt(),
                m.updatedAt(), m.webhookSecret(), m.nextFireAt());
        JsonNode input = body != null && body.has("input") ? given : original.input();
        ObjectNode payload = Json.object();
        payload.set("input", input);
        payload.put("rerunOf", original.id());
        Run.Controls controls = new Run.Controls(original.controls().pauseBefore(), original.controls().budgetCt(),
                original.controls().timeoutPolicy());
        Started started = start(Ids.next(Ids.RUN), version, input, null, original.attachedProjectId(),
                original.attachedTicketId(), original.timeoutMs(), "manual", null,
                "rerun of " + original.id() + " by " + userId, payload, userId, true, true, IDEMPOTENCY_SECONDS,
                controls, new Run.Lineage(0, original.id()));
        Instant now = clock.instant();
        ObjectNode linked = reasonPayload(reason);
        linked.put("rerunRunId", started.run().id());
        linked.put("inputReplaced", body != null && body.has("input"));
        // No condition but that the run is there: the link is added whatever the run does meanwhile.
        runs.transact(new RunWrite(original.id(), now).requireExists(),
                List.of(AuditEvent.of(original, userId, "run.rerun", linked, now)));
        return started;
    }

    /** Decides every approval the run is waiting for; 409 unless it is waiting_approval. */
    public Run approve(String userId, String metronomeId, String runId, JsonNode body) {
        RequestBody b = new RequestBody(body, Set.of("approved", "comment"));
        Boolean approved = b.bool("approved", true);
        String comment = b.text("comment", false, 2000);
        b.check();
        return change(userId, metronomeId, runId, run -> {
            if (run.status() != RunStatus.WAITING_APPROVAL) {
                throw ApiException.invalidState("run " + run.id() + " is " + run.status().wire()
                        + "; only a run in waiting_approval can be approved or rejected");
            }
            Instant now = clock.instant();
            ObjectNode decision = decision(approved, comment, userId);
            RunWrite w = write(run, now, RunTransition.DECIDE).status(run.metronomeId(), RunStatus.RUNNING)
                    .sweepAt(sweepAt(now));
            ObjectNode payload = Json.object();
            payload.put("comment", comment);
            var nodes = payload.putArray("nodeIds");
            List<NodeState> waiting = run.nodes().values().stream().filter(s -> s.phase() == Phase.WAITING_APPROVAL).toList();
            waiting.forEach(s -> nodes.add(s.nodeId()));
            decide(w, waiting.subList(0, Math.min(waiting.size(), Worker.HAND_OFF_BUDGET)), decision);
            return new Change(w, List.of(AuditEvent.of(run, userId, approved ? "run.approved" : "run.rejected",
                    payload, now)));
        }, fresh -> {
            decideTheRest(fresh, decision(approved, comment, userId));
            redispatch(runs.find(fresh.id()).orElse(fresh));
        });
    }

    private static ObjectNode decision(boolean approved, String comment, String userId) {
        ObjectNode decision = Json.object();
        decision.put("approved", approved);
        decision.put("comment", comment);
        decision.put("actorUserId", userId);
        return decision;
    }

    private static void decide(RunWrite w, List<NodeState> waiting, JsonNode decision) {
        waiting.forEach(s -> w.node(s, s.to(Phase.DECIDED).decision(decision).build()));
    }

    /**
     * Approvals past what one write can carry (a map of approvals): decided by further writes, each on the
     * nodes as read, after the audited one that took the decision.
     */
    private void decideTheRest(Run run, JsonNode decision) {
        for (int i = 0; run != null && i < 10_000; i++) {
            List<NodeState> waiting = run.nodes().values().stream().filter(s -> s.phase() == Phase.WAITING_APPROVAL)
                    .limit(Worker.HAND_OFF_BUDGET).toList();
            if (waiting.isEmpty() || run.isTerminal()) {
                return;
            }
            RunWrite w = new RunWrite(run.id(), clock.instant());
            waiting.forEach(s -> w.requireNodeRev(s.nodeId(), s.rev()));
            decide(w, waiting, decision);
            try {
                run = runs.update(w, software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_NEW);
            } catch (RunConflict c) {
                run = c.current();
            }
        }
    }

    private record Change(RunWrite write, List<AuditEvent> events) {
    }

    /**
     * Reads the run, decides (null: nothing to change), writes against the revision read, and on a lost race
     * reads again and decides again. {@code after} runs once the accepted change is stored.
     */
    private Run change(String userId, String metronomeId, String runId, Function<Run, Change> decide,
                       java.util.function.Consumer<Run> after) {
        return change(owned(userId, metronomeId, runId), decide, after);
    }

    /** As above, from the run as read (a change the engine makes for its owner: a scheduled pause). */
    private Run change(Run run, Function<Run, Change> decide, java.util.function.Consumer<Run> after) {
        String runId = run.id();
        for (int i = 0; i < ATTEMPTS; i++) {
            Change change = decide.apply(run);
            if (change == null) {
                return withInput(run);
            }
            try {
                runs.transact(change.write(), stamped(change.events()));
            } catch (RunConflict c) {
                if (c.current() == null) {
                    throw ApiException.notFound("run");
                }
                run = c.current();
                continue;
            }
            if (onBulkChange != null) {
                onBulkChange.run();
            }
            Run fresh = runs.find(runId).orElseThrow();
            after.accept(fresh);
            return withInput(fresh);
        }
        throw new IllegalStateException("run " + runId + " kept changing; try again");
    }

    /**
     * When the sweeper is to look at a run whose messages a write just made are about to be sent: if the send
     * fails, that is when they are sent again.
     */
    private Instant sweepAt(Instant now) {
        return now.plus(settings.sweep().staleAfter());
    }

    private static RunWrite write(Run run, Instant now, RunTransition t) {
        return new RunWrite(run.id(), now).requireRev(run.rev()).requireStatus(t.from());
    }

    /** Sends the nodes a resumed or decided run should pick up again: the parked and the decided ones. */
    private void redispatch(Run run) {
        if (!Worker.CLAIMABLE.contains(run.status()) && run.status() != RunStatus.QUEUED) {
            return;
        }
        List<NodeMessage> messages = run.nodes().values().stream()
                .filter(s -> s.phase() == Phase.PAUSED || s.phase() == Phase.DECIDED || s.phase() == Phase.MAPPING
                        || (run.status() == RunStatus.QUEUED && s.phase() == Phase.PENDING))
                .map(s -> NodeMessage.node(run.id(), s.nodeId(), s.attempt(), null)).toList();
        if (!messages.isEmpty()) {
            dispatcher.send(messages);
        }
    }

    private void recordStep(Run run, NodeState s) {
        Definition def = metronomes.version(run.metronomeId(), run.versionId()).definition();
        steps.record(Step.of(run, s, def.node(s.nodeId()).type().wire(), clock.instant()));
    }

    private static String reason(JsonNode body) {
        RequestBody b = new RequestBody(body, Set.of("reason"));
        String reason = b.text("reason", false, 1000);
        b.check();
        return reason;
    }

    private static ObjectNode reasonPayload(String reason) {
        ObjectNode p = Json.object();
        p.put("reason", reason);
        return p;
    }

    // ---------------------------------------------------------------- reads

    public Run get(String userId, String metronomeId, String runId) {
        return withInput(owned(userId, metronomeId, runId));
    }

    /** The run with its input, which is kept apart from the run item. */
    private Run withInput(Run run) {
        return run.withInput(data.input(run.id()));
    }

    public RunPage list(String userId, String metronomeId, String status, Integer limit, String cursor) {
        RunStatus filter = null;
        if (status != null) {
            try {
                filter = RunStatus.fromWire(status);
            } catch (IllegalArgumentException e) {
                throw ApiException.validation("status", "must be one of queued, running, waiting_approval, paused, "
                        + "completed, failed, cancelled");
            }
        }
        int pageSize = limit == null ? 20 : limit;
        if (pageSize < 1 || pageSize > 100) {
            throw ApiException.validation("limit", "must be an integer from 1 to 100");
        }
        ownedMetronome(userId, metronomeId);
        var start = Cursors.decode(cursor, filter == null ? Map.of("metronomeId", metronomeId)
                : Map.of("metronomeStatus", metronomeId + "#" + filter.wire()), "runId", Ids.RUN);
        RunRepository.Page page = runs.list(metronomeId, filter, pageSize, start);
        Map<String, JsonNode> inputs = data.inputs(page.runs().stream().map(Run::id).toList());
        List<Run> withInputs = page.runs().stream().map(r -> r.withInput(inputs.get(r.id()))).toList();
        return new RunPage(withInputs, Cursors.encode(page.lastKey()));
    }

    /**
     * A page of the run's timeline: the next steps in execution order and the next audit events oldest first,
     * each list up to {@code limit} and both together under {@link #MAX_PAGE_BYTES}, with the run, why it started,
     * and the whole summary (from the run item's counters and the summary's own items, never from the pages).
     * Steps whose record lags the run item (a worker between its writes) are shown as the run item has them.
     */
    public Timeline timeline(String userId, String metronomeId, String runId, Integer limit, String cursor) {
        int pageSize = limit == null ? 100 : limit;
        if (pageSize < 1 || pageSize > 1000) {
            throw ApiException.validation("limit", "must be an integer from 1 to 1000");
        }
        Run run = withInput(owned(userId, metronomeId, runId));
        TimelineCursor position = TimelineCursor.decode(cursor, runId);
        Definition def = metronomes.version(run.metronomeId(), run.versionId()).definition();
        Instant now = clock.instant();
        Map<String, NodeState> active = new java.util.HashMap<>();
        run.nodes().values().stream().filter(s -> s.stepId() != null && s.phase().stepStatus() != null)
                .forEach(s -> active.put(s.stepId(), s));
        long budget = MAX_PAGE_BYTES - 64 * 1024L; // the run, its trigger and the summary
        StepRepository.Page stepPage = position.stepsDone() ? new StepRepository.Page(List.of(), null)
                : steps.page(runId, position.afterStep(), pageSize);
        List<Step> pageSteps = new ArrayList<>();
        String lastStep = position.afterStep();
        boolean stepsCut = false;
        for (Step recorded : stepPage.steps()) {
            NodeState live = active.remove(recorded.id());
            Step shown = live != null && live.rev() > recorded.rev()
                    ? Step.of(run, live, def.node(live.nodeId()).type().wire(), recorded.updatedAt()) : recorded;
            long size = bytes(shown.output()) + bytes(shown.input()) + bytes(shown.metadata())
                    + (shown.error() == null ? 0 : shown.error().length()) + 600;
            if (!pageSteps.isEmpty() && size > budget) {
                stepsCut = true;
                break;
            }
            budget -= size;
            pageSteps.add(shown);
            lastStep = recorded.id();
        }
        boolean stepsDone = !stepsCut && stepPage.lastKey() == null;
        if (!position.stepsDone()) {
            // Steps not recorded yet (nodes active now) are shown in the page whose range of ids holds theirs: a
            // page covers the ids after the cursor's up to its last (to the end, on the last page), so each step is
            // shown once, recorded or not, however far a run moves on between pages.
            String from = position.afterStep();
            String to = stepsDone ? null : lastStep;
            active.values().stream()
                    .filter(s -> (from == null || s.stepId().compareTo(from) > 0) && (to == null || s.stepId().compareTo(to) <= 0))
                    .forEach(s -> pageSteps.add(Step.of(run, s, def.node(s.nodeId()).type().wire(), now)));
            pageSteps.sort(java.util.Comparator.comparing(Step::id));
        }
        AuditRepository.Page auditPage = position.auditDone() ? new AuditRepository.Page(List.of(), null)
                : audit.page(runId, position.afterAudit(), pageSize);
        List<AuditEvent> events = new ArrayList<>();
        String lastAudit = position.afterAudit();
        boolean auditCut = false;
        for (AuditEvent e : auditPage.events()) {
            long size = bytes(e.payload()) + 600;
            if ((!events.isEmpty() || !pageSteps.isEmpty()) && size > budget) {
                auditCut = true;
                break;
            }
            budget -= size;
            events.add(e);
            lastAudit = e.id();
        }
        boolean auditDone = !auditCut && auditPage.lastKey() == null;
        String next = stepsDone && auditDone ? null
                : new TimelineCursor(runId, stepsDone ? null : lastStep, stepsDone, auditDone ? null : lastAudit,
                auditDone).encode();
        TriggerEvent trigger = run.triggerEventId() == null ? null
                : triggers.find(run.metronomeId(), run.triggerEventId()).orElse(null);
        return new Timeline(run, trigger, pageSteps, events, summary(run), next);
    }

    /** A JSON value's size as the response will carry it (the fields around it are counted by the caller). */
    private static long bytes(JsonNode v) {
        return v == null ? 4 : v.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    private Summary summary(Run run) {
        Run.Summary s = run.summary();
        RunData.SummaryLists lists = data.summaryLists(run.id());
        Map<StepStatus, Integer> counts = new EnumMap<>(StepStatus.class);
        for (StepStatus st : StepStatus.values()) {
            counts.put(st, s.statusCounts().getOrDefault(st, 0));
        }
        return new Summary(run.status().wire(), s.stepCount(), counts.get(StepStatus.COMPLETED),
                counts.get(StepStatus.FAILED), counts.get(StepStatus.CANCELLED), counts.get(StepStatus.PAUSED),
                counts, lists.decisions(), lists.threadIds(), s.totalDurationMs(), s.totalAttempts(),
                s.llmInferenceCt(), s.resourcesCt(), s.llmInferenceCt() + s.resourcesCt(), run.attachedProjectId(),
                run.attachedTicketId(), s.auditEventCount());
    }

    /** The caller's run of that metronome, as the run item has it (no input); anything else a 404. */
    Run owned(String userId, String metronomeId, String runId) {
        if (!Ids.isValid(Ids.RUN, runId) || !Ids.isValid(Ids.METRONOME, metronomeId)) {
            throw ApiException.notFound("run");
        }
        Run run = runs.find(runId).orElseThrow(() -> ApiException.notFound("run"));
        if (!run.userId().equals(userId) || !run.metronomeId().equals(metronomeId)) {
            throw ApiException.notFound("run");
        }
        return run;
    }

    private Metronome ownedMetronome(String userId, String metronomeId) {
        if (!Ids.isValid(Ids.METRONOME, metronomeId)) {
            throw ApiException.notFound("metronome");
        }
        Metronome m = metronomes.find(metronomeId).orElseThrow(() -> ApiException.notFound("metronome"));
        if (!m.userId().equals(userId)) {
            throw ApiException.notFound("metronome");
        }
        return m;
    }
}
