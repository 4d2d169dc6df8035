package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.AuditEvent;
import io.metronome.domain.Definition;
import io.metronome.domain.Errors;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.PauseClock;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.RunTransition;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.domain.Times;
import io.metronome.engine.Graph.Arrival;
import io.metronome.engine.Graph.HandOff;
import io.metronome.engine.nodes.DelayNode;
import io.metronome.engine.nodes.MapNode;
import io.metronome.engine.nodes.NodeContext;
import io.metronome.engine.nodes.NodeExecutors;
import io.metronome.engine.nodes.Outcome;
import io.metronome.expr.Budget;
import io.metronome.expr.Expressions;
import io.metronome.observe.Delivery;
import io.metronome.observe.LogContext;
import io.metronome.observe.Metrics;
import io.metronome.store.MetronomeRepository;
import io.metronome.store.RunConflict;
import io.metronome.store.RunData;
import io.metronome.store.RunRepository;
import io.metronome.store.RunWrite;
import io.metronome.store.StepRepository;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Executes one node per message. The run item is the source of truth for the active nodes and every change to it
 * is one conditional write; a node's step record is written before the write that makes it final (and so takes
 * it off the run item), and queue messages follow; all are safe to repeat. So a message delivered twice, out of
 * order, or again after a crash at any point only ever finds the run further along and finishes what that point
 * left undone.
 *
 * <p>Happy path for one node: claim (the run-status check and the lease, one write), read what its expressions
 * name, run it, record its step, keep its output, complete it on the run (one write, which also enters the
 * successors), send the successors' messages.
 */
public final class Worker {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    /** Statuses in which a node may start: an approval waiting on one branch does not hold up the others. */
    static final Set<RunStatus> CLAIMABLE = EnumSet.of(RunStatus.RUNNING, RunStatus.WAITING_APPROVAL);
    /** Statuses in which a run has not ended. */
    private static final Set<RunStatus> LIVE = EnumSet.complementOf(EnumSet.copyOf(RunStatus.TERMINAL));
    /** Phases of a node that has not started its work (or waits between parts of it): a run's end cancels them. */
    static final Set<Phase> UNSTARTED = EnumSet.of(Phase.PENDING, Phase.PAUSED, Phase.WAITING,
            Phase.WAITING_APPROVAL, Phase.DECIDED, Phase.MAPPING);
    /** Step Functions' limit for a state's data: a node's output, like a run's input, is at most this. */
    public static final int MAX_OUTPUT_BYTES = 256 * 1024;
    private static final int CONFLICT_RETRIES = 5;
    /**
     * A settling node tries harder: a map's children all count themselves on the map's entry, so under many
     * concurrent children a write may be refused several times in a row (each refusal returns the fresh item).
     */
    private static final int SETTLE_RETRIES = 40;
    /**
     * Entries one write may add, change or skip: each costs about 40 characters of expression, and DynamoDB
     * refuses an expression over 4 KB. A hand-off to more nodes continues in further writes.
     */
    static final int HAND_OFF_BUDGET = 25;
    /** Elements of one map: its elements are written one item each when it starts, within one invocation. */
    public static final int MAX_MAP_ELEMENTS = 10_000;

    private final RunService runService;
    private final RunRepository runs;
    private final StepRepository steps;
    private final RunData data;
    private final MetronomeRepository metronomes;
    private final Dispatcher dispatcher;
    private final NodeExecutors executors;
    private final EngineSettings settings;
    private final Clock clock;

    /**
     * @param runService makes the pauses and resumes a run's schedule asks for, as they are made by hand
     */
    public Worker(RunRepository runs, StepRepository steps, RunData data, MetronomeRepository metronomes,
                  Dispatcher dispatcher, NodeExecutors executors, EngineSettings settings, Clock clock,
                  RunService runService) {
        this.runService = runService;
        this.runs = runs;
        this.steps = steps;
        this.data = data;
        this.metronomes = metronomes;
        this.dispatcher = dispatcher;
        this.executors = executors;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * Handles one message. Returns normally when the message is dealt with (it may be deleted); throws when it
     * must come back (an AWS call failed), leaving it on the queue for another delivery.
     */
    public void handle(NodeMessage m) {
        if (m.kind() == NodeMessage.Kind.SCHEDULE) {
            takeSchedule(m);
            return;
        }
        if (dispatcher.notDue(m)) {
            dispatcher.hop(m);
            return;
        }
        if (m.kind() == NodeMessage.Kind.DEADLINE) {
            runs.find(m.runId()).ifPresent(this::checkDeadline);
            return;
        }
        if (m.kind() == NodeMessage.Kind.STOP) {
            stopCancelled(m);
            return;
        }
        if (m.kind() == NodeMessage.Kind.CLOSE) {
            if (m.nodeId() == null) {
                runs.find(m.runId()).filter(Run::isTerminal).ifPresent(r -> cancelLeftovers(r, definition(r)));
            } else {
                closeMap(m);
            }
            return;
        }
        boolean pastBudget = false; // the run's budget is reached, and this node costs nothing
        for (int i = 0; i < CONFLICT_RETRIES; i++) {
            Instant now = clock.instant();
            Instant leaseUntil = now.plus(settings.lease());
            Run before;
            try {
                RunWrite claim = new RunWrite(m.runId(), now)
                        .requireStatus(CLAIMABLE)
                        .requireNodePhase(m.nodeId(), Phase.PENDING)
                        .requireNodeAttempt(m.nodeId(), m.attempt())
                        .requireBeforeDeadline(now)
                        .requireBeforeScheduledPause(now);
                if (m.attempt() == 1) {
                    claim.requireNoBreakpoint(m.nodeId()); // a breakpoint holds the node's first attempt only
                }
                if (!pastBudget) {
                    claim.requireUnderBudget(); // the node's type is known once the run is read: see PAUSE_BEFORE
                }
                before = runs.update(claim.claimPending(m.nodeId(), m.attempt(), settings.workerId(), now, leaseUntil),
                        ReturnValue.ALL_OLD);
            } catch (RunConflict refused) {
                // A queued run's first claim is refused by design (the run is started, then claimed again): that is
                // not two workers meeting.
                if (refused.current() == null || refused.current().status() != RunStatus.QUEUED) {
                    Metrics.claimConflict();
                }
                RefusedClaim decision = decide(m, refused.current());
                if (decision == RefusedClaim.CLAIM_PAST_BUDGET) {
                    pastBudget = true;
                    continue;
                }
                if (!reconcile(m, refused.current(), decision)) {
                    return;
                }
                continue;
            }
            NodeState claimed = before.node(m.nodeId()).to(Phase.RUNNING).lease(settings.workerId(), leaseUntil)
                    .startedAt(now).build();
            java.time.Duration lag = Delivery.lag(now, m.notBefore());
            if (lag != null) {
                Metrics.queueLag(lag.toMillis());
            }
            LogContext.put(LogContext.METRONOME_ID, before.metronomeId());
            execute(before.withNode(claimed).withRev(before.rev() + 1), definition(before), claimed);
            return;
        }
        throw new IllegalStateException("node " + m.nodeId() + " of " + m.runId() + " could not be claimed; retrying later");
    }

    // ---------------------------------------------------------------- running a node

    private void execute(Run run, Definition def, NodeState running) {
        Definition.Node node = def.node(running.nodeId());
        NodeContext ctx = context(run, def, running); // a failed read is not the node's failure: the message comes back
        Outcome outcome;
        try {
            outcome = Budget.forAttempt(() -> executors.forType(node.type()).execute(ctx));
        } catch (Expressions.ExpressionException e) {
            outcome = new Outcome.Failed(e.getMessage(), false, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + node.id(), e);
        } catch (Exception e) {
            outcome = new Outcome.Failed(node.type().wire() + " node failed: " + e, true, null);
        } catch (Error e) {
            if (Errors.isFatal(e)) {
                throw e;
            }
            // A stack overflow or a huge allocation in a node's own code: the same attempt again would end the same.
            outcome = new Outcome.Failed(node.type().wire() + " node failed: " + e, false, null);
        }
        apply(run, def, running.withInput(ctx.input()), limitOutput(outcome));
    }

    /** What the node runs with: only the input and outputs its expressions refer to are read. */
    private NodeContext context(Run run, Definition def, NodeState state) {
        Definition.Reads reads = def.reads(state.nodeId());
        List<String> keys = new ArrayList<>();
        if (reads.input()) {
            keys.add(RunData.INPUT);
        }
        reads.nodes().forEach(id -> keys.add(RunData.outputKey(id)));
        String map = Definition.mapOf(state.nodeId());
        String element = map == null || !reads.item() ? null : RunData.elementKey(map, Definition.indexOf(state.nodeId()));
        if (element != null) {
            keys.add(element);
        }
        Map<String, JsonNode> loaded = keys.isEmpty() ? Map.of() : data.read(run.id(), keys);
        Map<String, JsonNode> outputs = new java.util.LinkedHashMap<>();
        for (String id : reads.nodes()) {
            JsonNode output = loaded.get(RunData.outputKey(id));
            if (output != null) {
                outputs.put(id, output);
            }
        }
        return NodeContext.of(run.withInput(loaded.get(RunData.INPUT)), def, state, outputs,
                element == null ? null : loaded.get(element), clock.instant());
    }

    private void apply(Run run, Definition def, NodeState before, Outcome outcome) {
        if (outcome instanceof Outcome.Done done) {
            complete(run, def, before, done);
        } else if (outcome instanceof Outcome.Wait wait) {
            waitUntil(run, before, wait.dueAt(), wait.metadata() != null ? wait.metadata()
                    : DelayNode.waitingMetadata(wait.dueAt()));
        } else if (outcome instanceof Outcome.Poll poll) {
            waitUntil(run, before, poll.dueAt(), poll.metadata());
        } else if (outcome instanceof Outcome.AwaitApproval ask) {
            awaitApproval(run, before, ask.prompt());
        } else if (outcome instanceof Outcome.Failed failed) {
            failAttempt(run, def, before, failed);
        } else if (outcome instanceof Outcome.EndRun end) {
            endRun(run, def, before, end);
        } else if (outcome instanceof Outcome.StartMap start) {
            startMap(run, def, before, start.elements());
        }
    }

    private void complete(Run run, Definition def, NodeState before, Outcome.Done done) {
        complete(run, def, before, done, clock.instant());
    }

    /** @param now when the attempt completed (for an attempt adopted after its worker stopped: when it recorded so) */
    private void complete(Run run, Definition def, NodeState before, Outcome.Done done, Instant now) {
        JsonNode meta = done.metadata() != null ? done.metadata() : before.metadata();
        NodeState completed = before.to(Phase.COMPLETED).output(done.output()).metadata(meta)
                .completedAt(now).lease(null, null).build();
        try {
            // The step first: from here on, a worker taking the node over finds that this attempt completed and
            // completes the node with it instead of running it (and its side effect) again.
            if (!recordAgreed(run, def, completed)) {
                return; // a worker that took the node over recorded this attempt as lost: it runs the next one
            }
            // The output before the write that completes the node, so that whoever reads the node as completed finds it.
            // A map's child stores even a null one: it is the record that the child completed (KeptChildren).
            if (done.output() != null && !done.output().isNull() || Definition.mapOf(before.nodeId()) != null) {
                data.putOutput(run.id(), before.nodeId(), before.attempt(), done.output());
            }
            if (!done.decisions().isEmpty()) {
                data.putDecisions(run.id(), before.stepId(), done.decisions());
            }
            if (meta != null && meta.hasNonNull("threadId")) {
                data.putThread(run.id(), meta.get("threadId").asText(), now);
            }
        } catch (DynamoDbException e) {
            if (!isValidation(e)) {
                throw e;
            }
            failAttempt(run, def, before, new Outcome.Failed("the output could not be stored: "
                    + e.awsErrorDetails().errorMessage(), false, null));
            return;
        }
        double cost = meta != null && meta.has("costCt") ? meta.get("costCt").asDouble() : 0;
        settle(run, def, before, completed, false, write -> write.addLlmCost(cost).text("lastNodeId", before.nodeId()));
        observe(def, before, Metrics.Outcome.COMPLETED, now);
    }

    /**
     * Writes a node's final state and, if the run goes on, its hand-off to its successors (or, for a map's child,
     * its map's count and next children), in one conditional write, its step recorded first (here when
     * {@code recordFirst}, else by the caller); then makes what is left of a large hand-off and moves the run on. A write refused
     * because the node moved on (our lease ran out and another worker took it) ends here: the new holder settles it.
     */
    private void settle(Run run, Definition def, NodeState before, NodeState settled, boolean recordFirst,
                        java.util.function.Consumer<RunWrite> extra) {
        Run recordedAgainst = recordFirst ? null : run; // the run as it was when the step was recorded
        java.util.function.IntPredicate kept = null; // read once for all the retries: a kept child stays kept
        for (int i = 0; i < SETTLE_RETRIES; i++) {
            Instant now = clock.instant();
            RunWrite write = new RunWrite(run.id(), now).requireNodeRev(before.nodeId(), before.rev());
            if (!run.isTerminal()) {
                // A run that ended meanwhile refuses the write: settled again against it, the node hands nothing
                // on and its step is flagged.
                write.requireStatus(LIVE);
            }
            List<NodeState> ready = new ArrayList<>();
            NodeState state = settled;
            HandOff handOff = null;
            if (settled.phase() == Phase.COMPLETED && !run.isTerminal()) {
                List<Arrival> arrivals = Graph.arrivalsFrom(def, before.nodeId(), true, settled.metadata(),
                        before.startedAt() != null ? before.startedAt() : now);
                handOff = Graph.handOff(def, run.id(), run.withoutNode(before.nodeId()).nodes(), arrivals, now,
                        HAND_OFF_BUDGET);
                if (!handOff.left().isEmpty()) {
                    state = settled.to(Phase.COMPLETED).progress(Graph.toJson(handOff.left())).build();
                }
                apply(write, run, handOff, ready);
            }
            String map = Definition.mapOf(before.nodeId());
            NodeState mapEntry = map == null ? null : run.node(map);
            if (mapEntry != null && mapEntry.phase() == Phase.MAPPING && settled.phase().isFinal()) {
                // A child ended: its map counts it and starts the next ones in the same write.
                MapProgress counted = MapProgress.of(mapEntry.progress()).childEnded(settled.phase() == Phase.COMPLETED);
                if (kept == null) {
                    kept = KeptChildren.of(data, run, map, counted.total());
                }
                // An ended run starts no child: it only counts the one that ended.
                MapProgress.TopUp topUp = counted.overTolerance(def, map) || run.isTerminal()
                        ? new MapProgress.TopUp(List.of(), counted)
                        : counted.topUp(def, run.withoutNode(before.nodeId()), map, now, HAND_OFF_BUDGET, kept);
                mapEntries(write, mapEntry, topUp, ready);
            }
            write.node(before, state);
            extra.accept(write);
            if (run.nodes().values().stream().noneMatch(s -> s.phase() == Phase.RUNNING
                    && !s.nodeId().equals(before.nodeId()))) {
                write.time("lockedAt", null).text("lockedBy", null); // no worker holds a node of this run any more
            }
            Run after;
            try {
                boolean notRecordedYet = recordedAgainst == null;
                boolean runEndedSinceRecorded = !notRecordedYet && !recordedAgainst.isTerminal()
                        && Step.afterRunEnded(run, settled) != null;
                if (notRecordedYet || runEndedSinceRecorded) {
                    // Once the write lands the node is off the run item, and its record is all there is; a run
                    // that ended meanwhile is flagged on it (Step.afterRunEnded).
                    record(run, def, settled);
                    recordedAgainst = run;
                }
                if (handOff != null) {
                    recordSkipped(run, def, handOff);
                }
                after = runs.update(write, ReturnValue.ALL_NEW);
            } catch (RunConflict c) {
                if (!stillAt(c, before)) {
                    return;
                }
                run = c.current();
                continue;
            }
            if (map != null && mapEnded(after, def, map)) {
                return;
            }
            handOffRest(after, def, before.nodeId(), ready);
            return;
        }
        throw new IllegalStateException("could not record the outcome of " + before.nodeId() + " in " + run.id());
    }

    // ---------------------------------------------------------------- maps

    /**
     * A map node's elements are kept one item each (a child reads only its own), then the map waits as MAPPING
     * while its first children start, in the same write.
     */
    private void startMap(Run run, Definition def, NodeState before, JsonNode elements) {
        int size = elements.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (elements.size() > MAX_MAP_ELEMENTS) {
            failAttempt(run, def, before, new Outcome.Failed("map items of " + elements.size() + " elements exceed the "
                    + "limit of " + MAX_MAP_ELEMENTS + " elements for one map", false, null));
            return;
        }
        if (size > MAX_OUTPUT_BYTES) {
            failAttempt(run, def, before, new Outcome.Failed("map items of " + size + " bytes exceed the limit of "
                    + MAX_OUTPUT_BYTES + " bytes (256 KB) for a node's data", false, null));
            return;
        }
        MapProgress progress = new MapProgress(elements.size(), 0, 0, 0);
        if (elements.isEmpty()) {
            complete(run, def, before, new Outcome.Done(mapOutput(run, before.nodeId(), progress), progress.toJson()));
            return;
        }
        data.putElements(run.id(), before.nodeId(), elements);
        java.util.function.IntPredicate kept = KeptChildren.of(data, run, before.nodeId(), progress.total());
        for (int i = 0; i < CONFLICT_RETRIES; i++) {
            Instant now = clock.instant();
            RunWrite write = new RunWrite(run.id(), now).requireStatus(LIVE);
            List<NodeState> ready = new ArrayList<>();
            mapEntries(write, before, progress.topUp(def, run, before.nodeId(), now, HAND_OFF_BUDGET, kept), ready);
            try {
                Run after = runs.update(write, ReturnValue.ALL_NEW);
                observe(def, before, Metrics.Outcome.WAITING, now);
                if (mapEnded(after, def, before.nodeId())) {
                    return; // a redriven map whose children had all completed before
                }
                proceed(after, def, ready);
                return;
            } catch (RunConflict c) {
                if (!stillAt(c, before)) {
                    return;
                }
                if (c.current().isTerminal()) {
                    cancelRan(c.current(), def, before, progress.toJson()); // its children were never started
                    return;
                }
                run = c.current();
            }
        }
        throw new IllegalStateException("could not start map " + before.nodeId() + " in " + run.id());
    }

    /**
     * Writes a map's progress (as its entry and its step's metadata) and the children it starts, on the map's
     * entry as read (running, as the map starts, or mapping).
     */
    private static void mapEntries(RunWrite write, NodeState map, MapProgress.TopUp topUp, List<NodeState> ready) {
        JsonNode progress = topUp.after().toJson();
        write.requireNodeRev(map.nodeId(), map.rev()).node(map, map.to(Phase.MAPPING).lease(null, null)
                .progress(progress).metadata(progress).build());
        for (NodeState child : topUp.children()) {
            write.requireNodeAbsent(child.nodeId()).node(null, child);
            ready.add(child);
        }
    }

    /**
     * After a child ended: if the map failed more children than it tolerates it fails (and with it the run);
     * once every child has ended it completes with their outputs. Returns true when the map ended here.
     */
    private boolean mapEnded(Run run, Definition def, String mapId) {
        NodeState map = run.node(mapId);
        if (map == null || map.phase() != Phase.MAPPING || run.isTerminal()) {
            return false;
        }
        MapProgress p = MapProgress.of(map.progress());
        if (p.overTolerance(def, mapId)) {
            failAttempt(run, def, map, new Outcome.Failed("map " + mapId + ": " + p.failed() + " of " + p.total()
                    + " children failed, more than the " + MapNode.toleratedFailures(def.node(mapId).config(), p.total())
                    + " it tolerates", false, map.metadata()));
            return true;
        }
        if (p.done(run, mapId)) {
            complete(run, def, map, new Outcome.Done(mapOutput(run, mapId, p), p.toJson()));
            return true;
        }
        return false;
    }

    /**
     * A map's output: its counts and its children's outputs in index order (null for a child that failed), or
     * only the counts when the outputs together pass the limit for one node's output.
     */
    private JsonNode mapOutput(Run run, String mapId, MapProgress p) {
        ObjectNode out = Json.object();
        out.put("count", p.total());
        out.put("succeeded", p.succeeded());
        out.put("failed", p.failed());
        var outputs = p.total() == 0 ? Json.MAPPER.createArrayNode()
                : data.childOutputs(run.id(), mapId, p.total(), MAX_OUTPUT_BYTES - 1024);
        boolean fits = outputs != null
                && outputs.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_OUTPUT_BYTES - 1024;
        out.set("outputs", fits ? outputs : null);
        return out;
    }

    /** A map's own message (after a resume, or a stopped worker): end it if it is done, else fill its free slots. */
    private void mapHousekeeping(Run run, Definition def, NodeState map) {
        if (mapEnded(run, def, map.nodeId()) || !CLAIMABLE.contains(run.status())) {
            return;
        }
        Instant now = clock.instant();
        MapProgress progress = MapProgress.of(map.progress());
        MapProgress.TopUp topUp = progress.topUp(def, run, map.nodeId(), now, HAND_OFF_BUDGET,
                KeptChildren.of(data, run, map.nodeId(), progress.total()));
        if (topUp.after().equals(progress)) {
            return;
        }
        RunWrite write = new RunWrite(run.id(), now);
        List<NodeState> ready = new ArrayList<>();
        mapEntries(write, map, topUp, ready);
        try {
            Run after = runs.update(write, ReturnValue.ALL_NEW);
            if (!mapEnded(after, def, map.nodeId())) { // its last children may have been kept ones
                proceed(after, def, ready);
            }
        } catch (RunConflict ignored) {
            // another worker moved the map on
        }
    }

    /** Adds a hand-off's entries to a write, each conditioned on the entry being as read (or absent). */
    private static void apply(RunWrite write, Run run, HandOff handOff, List<NodeState> ready) {
        handOff.entries().forEach((id, entry) -> {
            NodeState current = run.node(id);
            if (current == null) {
                write.requireNodeAbsent(id);
            } else {
                write.requireNodeRev(id, current.rev());
            }
            if (entry == null) {
                write.removeNode(id);
            } else {
                write.node(current, entry);
                if (entry.phase() == Phase.PENDING) {
                    ready.add(entry);
                }
            }
        });
        handOff.skipped().forEach(s -> write.skipped());
    }

    /** Skipped steps are written before the write that skips them, under ids that a repeat makes again. */
    private void recordSkipped(Run run, Definition def, HandOff handOff) {
        handOff.skipped().forEach(s -> steps.record(Step.of(run, s, def.node(s.nodeId()).type().wire(), s.completedAt())));
    }

    /**
     * Makes the rest of a completed node's hand-off, a budget at a time, each write taking its share off the
     * node's entry (so a worker stopping in between leaves exactly the rest for the message's next delivery),
     * then moves the run on.
     */
    private void handOffRest(Run run, Definition def, String nodeId, List<NodeState> ready) {
        for (int i = 0; run != null && !run.isTerminal() && run.node(nodeId) != null
                && run.node(nodeId).phase() == Phase.COMPLETED && i < 10_000; i++) {
            NodeState entry = run.node(nodeId);
            Instant now = clock.instant();
            HandOff handOff = Graph.handOff(def, run.id(), run.withoutNode(nodeId).nodes(),
                    Graph.fromJson(entry.progress()), now, HAND_OFF_BUDGET);
            RunWrite write = new RunWrite(run.id(), now).requireNodeRev(nodeId, entry.rev());
            List<NodeState> entered = new ArrayList<>();
            apply(write, run, handOff, entered);
            write.node(entry, entry.to(Phase.COMPLETED)
                    .progress(handOff.left().isEmpty() ? null : Graph.toJson(handOff.left())).build());
            try {
                recordSkipped(run, def, handOff);
                run = runs.update(write, ReturnValue.ALL_NEW);
                ready.addAll(entered);
            } catch (RunConflict c) {
                run = c.current();
            }
        }
        if (run != null) {
            proceed(run, def, ready);
        }
    }

    /** After a node settled: finish the run if nothing is left, send the ready nodes on, or cancel them if it ended. */
    private void proceed(Run run, Definition def, List<NodeState> ready) {
        if (run.isTerminal()) {
            cancelLeftovers(run, def);
            return;
        }
        settledPause(run);
        if (run.nodes().isEmpty()) {
            finishRun(run, def);
            return;
        }
        List<NodeState> toSend = ready.stream().filter(s -> run.node(s.nodeId()) != null
                && run.node(s.nodeId()).phase() == Phase.PENDING).toList();
        if (!toSend.isEmpty()) {
            String runId = run.id();
            dispatcher.send(toSend.stream().map(s -> NodeMessage.node(runId, s.nodeId(), s.attempt(), s.notBefore())).toList());
        }
    }

    private void waitUntil(Run run, NodeState before, Instant dueAt, JsonNode metadata) {
        Instant now = clock.instant();
        NodeState waiting = before.to(Phase.WAITING).dueAt(dueAt).metadata(metadata).lease(null, null).build();
        Run after;
        try {
            after = runs.update(new RunWrite(run.id(), now).requireNodeRev(before.nodeId(), before.rev())
                    .requireStatus(LIVE).node(before, waiting), ReturnValue.ALL_NEW);
        } catch (RunConflict c) {
            if (stillAt(c, before) && c.current().isTerminal()) {
                cancelRan(c.current(), definition(c.current()), before, metadata); // the run ended while it ran
            }
            return;
        }
        record(after, null, waiting);
        observe(definition(after), before, Metrics.Outcome.WAITING, now);
        dispatcher.send(NodeMessage.node(run.id(), before.nodeId(), before.attempt(), dueAt));
        settledPause(after);
    }

    /**
     * A node that ran while its run ended, and would now wait (on a delay, a decision, work elsewhere, children):
     * it is cancelled instead, and what it started elsewhere is stopped.
     */
    private void cancelRan(Run run, Definition def, NodeState before, JsonNode metadata) {
        NodeState cancelled = before.to(Phase.CANCELLED).metadata(metadata).completedAt(clock.instant())
                .lease(null, null).build();
        settle(run, def, before, cancelled, true, w -> { });
        observe(def, before, Metrics.Outcome.CANCELLED, cancelled.completedAt());
        dispatcher.followUpCancelled(run, List.of(cancelled));
    }

    private void awaitApproval(Run run, NodeState before, String prompt) {
        ObjectNode meta = Json.object();
        meta.put("prompt", prompt);
        for (int i = 0; i < CONFLICT_RETRIES; i++) {
            if (run.isTerminal()) {
                cancelRan(run, definition(run), before, null);
                return;
            }
            Instant now = clock.instant();
            NodeState waiting = before.to(Phase.WAITING_APPROVAL).metadata(meta).lease(null, null).build();
            RunWrite write = new RunWrite(run.id(), now).requireNodeRev(before.nodeId(), before.rev()).node(before, waiting);
            if (run.status() == RunStatus.PAUSED) {
                // Paused while this node ran: once resumed, the run waits for the decision.
                write.requireStatus(Set.of(RunStatus.PAUSED)).text("resumeTo", RunStatus.WAITING_APPROVAL.wire());
            } else {
                write.requireStatus(RunTransition.AWAIT_APPROVAL.from()).status(run.metronomeId(), RunStatus.WAITING_APPROVAL);
            }
            ObjectNode payload = Json.object();
            payload.put("nodeId", before.nodeId());
            payload.put("prompt", prompt);
            try {
                runs.transact(write, List.of(AuditEvent.of(run, null, "run.approval_requested", payload, now)));
                record(run, null, waiting);
                observe(definition(run), before, Metrics.Outcome.WAITING, now);
                runs.find(run.id()).ifPresent(this::settledPause);
                return;
            } catch (RunConflict c) {
                if (!stillAt(c, before)) {
                    return;
                }
                run = c.current();
            }
        }
        throw new IllegalStateException("could not record that " + before.nodeId() + " of " + run.id()
                + " waits for approval; retrying later");
    }

    private void failAttempt(Run run, Definition def, NodeState before, Outcome.Failed failed) {
        Definition.Node node = def.node(before.nodeId());
        Definition.Retry retry = retryPolicy(run, node);
        Instant now = clock.instant();
        NodeState failedState = before.to(Phase.FAILED).error(failed.error()).metadata(failed.metadata())
                .completedAt(now).lease(null, null).build();
        if (run.isTerminal()) {
            settle(run, def, before, failedState, true, w -> { }); // the run ended meanwhile: no retry on an ended run
            observe(def, before, Metrics.Outcome.FAILED, now);
            return;
        }
        if (!failed.retryable() || before.attempt() >= retry.maxAttempts()) {
            String error = "node " + node.id() + " failed" + (before.attempt() > 1 ? " after " + before.attempt()
                    + " attempts" : "") + ": " + failed.error();
            observe(def, before, Metrics.Outcome.FAILED, now);
            failNode(run, def, before, failedState, error);
            return;
        }
        // The failed attempt is final: record it first, so it is kept even if this worker stops right after.
        steps.record(Step.of(run, failedState, node.type().wire(), now));
        Instant next = now.plusMillis(retry.delayMillisAfter(before.attempt()));
        NodeState retrying = before.to(Phase.PENDING).attempt(before.attempt() + 1).stepId(Ids.next(Ids.STEP))
                .queuedAt(now).startedAt(null).completedAt(null).output(null).error(null).metadata(null)
                .lease(null, null).notBefore(next).build();
        RunWrite write = new RunWrite(run.id(), now).requireNodeRev(before.nodeId(), before.rev())
                .requireStatus(LIVE).node(before, retrying)
                .closedEarlierStep(before, failedState)
                .time("nextAttemptAt", next);
        ObjectNode payload = Json.object();
        payload.put("nodeId", node.id());
        payload.put("failedAttempt", before.attempt());
        payload.put("nextAttempt", before.attempt() + 1);
        payload.put("nextAttemptAt", Times.format(next));
        payload.put("error", failed.error());
        try {
            runs.transact(write, List.of(AuditEvent.of(run, null, "step.retry_scheduled", payload, now)));
        } catch (RunConflict c) {
            if (stillAt(c, before) && c.current().isTerminal()) {
                settle(c.current(), def, before, failedState, true, w -> { }); // cancelled while it ran: no retry
            }
            return;
        }
        Metrics.retry();
        observe(def, before, Metrics.Outcome.RETRY, now);
        LOG.info("node {} attempt {} failed, attempt {} at {}: {}", node.id(), before.attempt(), retrying.attempt(),
                next, failed.error());
        dispatcher.send(NodeMessage.node(run.id(), node.id(), retrying.attempt(), next));
    }

    /** A node's last attempt failed: a map's child is counted by its map (which may tolerate it); any other node fails the run. */
    private void failNode(Run run, Definition def, NodeState before, NodeState failed, String error) {
        if (Definition.mapOf(before.nodeId()) != null && !run.isTerminal()) {
            settle(run, def, before, failed, true, w -> { });
            return;
        }
        terminate(run, def, before, failed, RunStatus.FAILED, null, error);
    }

    private void endRun(Run run, Definition def, NodeState before, Outcome.EndRun end) {
        Instant now = clock.instant();
        NodeState after = (end.succeeded()
                ? before.to(Phase.COMPLETED).output(end.output())
                : before.to(Phase.FAILED).error(end.error())).completedAt(now).lease(null, null).build();
        observe(def, before, end.succeeded() ? Metrics.Outcome.COMPLETED : Metrics.Outcome.FAILED, now);
        terminate(run, def, before, after, end.succeeded() ? RunStatus.COMPLETED : RunStatus.FAILED,
                end.output(), end.succeeded() ? null : end.error());
    }

    // ---------------------------------------------------------------- ending a run

    /** Nothing is left to run: the run completes with the output of the node that completed last. */
    private void finishRun(Run run, Definition def) {
        JsonNode output = run.lastNodeId() == null ? null : data.output(run.id(), run.lastNodeId());
        terminate(run, def, null, null, RunStatus.COMPLETED, output, null);
    }

    /**
     * Ends the run completed or failed in one audited write, recording {@code after} for the node that ended it
     * (if any) and cancelling every node that has not started. If the run already ended, only the node is
     * recorded.
     */
    private void terminate(Run run, Definition def, NodeState before, NodeState after, RunStatus target,
                           JsonNode output, String error) {
        // One moment for every try: a retried write then records the same states, not new ones a record can't replace.
        Instant now = clock.instant();
        for (int i = 0; i < CONFLICT_RETRIES; i++) {
            RunWrite write = new RunWrite(run.id(), now);
            if (before != null) {
                write.requireNodeRev(before.nodeId(), before.rev()).node(before, after);
            }
            List<NodeState> cancelled = new ArrayList<>();
            List<AuditEvent> events = new ArrayList<>();
            if (!run.isTerminal()) {
                RunTransition t = target == RunStatus.COMPLETED ? RunTransition.COMPLETE : RunTransition.FAIL;
                write.requireStatus(t.from()).requireRev(run.rev())
                        .status(run.metronomeId(), target).time("completedAt", now).time("nextAttemptAt", null)
                        .time("lockedAt", null).text("lockedBy", null)
                        .json("output", output).text("error", error);
                cancelled.addAll(cancelUnstarted(run, before == null ? null : before.nodeId(), now, write));
                ObjectNode payload = Json.object();
                if (before != null) {
                    payload.put("nodeId", before.nodeId());
                }
                if (error != null) {
                    payload.put("error", error);
                }
                events.add(AuditEvent.of(run, null, target == RunStatus.COMPLETED ? "run.completed" : "run.failed",
                        payload, now));
            } else if (before == null) {
                return;
            }
            try {
                if (after != null) {
                    record(run, def, after); // first: once the write lands, the node is off the run item
                }
                for (NodeState c : cancelled) {
                    record(run, def, c);
                }
                runs.transact(write, events);
                if (!events.isEmpty()) {
                    ended(run, target, error);
                }
            } catch (RunConflict c) {
                Run current = c.current();
                if (current == null || (before != null && !stillAt(c, before))) {
                    return;
                }
                if (before == null && (current.isTerminal()
                        || (target == RunStatus.COMPLETED && !current.nodes().isEmpty()))) {
                    return; // someone else ended it, or (for a finish) there is more to run after all
                }
                run = current;
                continue;
            }
            List<NodeState> ended = new ArrayList<>(cancelled);
            if (after != null) {
                ended.add(after); // a failed map's children that never started are recorded too
            }
            dispatcher.followUpCancelled(run, ended);
            return;
        }
        throw new IllegalStateException("could not end run " + run.id() + " as " + target.wire() + "; retrying later");
    }

    /**
     * Adds to a write on an ended (or ending) run what the end does to its frontier, up to one write's budget:
     * nodes not started are cancelled, a join not reached or a hand-off not made is dropped. What is over the
     * budget the worker cancels afterwards ({@link #cancelLeftovers}): nothing starts on an ended run meanwhile,
     * since every claim checks the run's status. Returns the cancelled states, to record.
     *
     * @param except the node the ending write settles itself, if any
     */
    static List<NodeState> cancelUnstarted(Run run, String except, Instant now, RunWrite write) {
        List<NodeState> cancelled = new ArrayList<>();
        int changes = 0;
        for (NodeState s : run.nodes().values()) {
            if (s.nodeId().equals(except)) {
                continue;
            }
            if (changes == HAND_OFF_BUDGET) {
                break;
            }
            if (UNSTARTED.contains(s.phase())) {
                NodeState c = s.to(Phase.CANCELLED).completedAt(now).lease(null, null).build();
                write.node(s, c);
                cancelled.add(c);
                changes++;
            } else if (s.phase() == Phase.JOINING || s.phase() == Phase.COMPLETED) {
                write.removeNode(s.nodeId());
                changes++;
            }
        }
        return cancelled;
    }

    /**
     * What an ended run still has on its frontier that will never run (nodes entered after the end, or more than
     * the ending write could carry): cancelled, a budget a write, each write against the run as read. Then the
     * run is closed once nothing of it is active.
     */
    private void cancelLeftovers(Run run, Definition def) {
        for (int i = 0; run != null && i < 10_000; i++) {
            Instant now = clock.instant();
            RunWrite write = new RunWrite(run.id(), now).requireRev(run.rev());
            List<NodeState> cancelled = cancelUnstarted(run, null, now, write);
            if (cancelled.isEmpty() && run.nodes().values().stream()
                    .noneMatch(s -> s.phase() == Phase.JOINING || s.phase() == Phase.COMPLETED)) {
                break;
            }
            try {
                for (NodeState c : cancelled) {
                    record(run, def, c);
                }
                run = runs.update(write, ReturnValue.ALL_NEW);
                dispatcher.followUpCancelled(run, cancelled);
            } catch (RunConflict moved) {
                run = moved.current();
            }
        }
        if (run != null) {
            closeRun(run);
        }
    }

    /**
     * A schedule's message: only the one the run's schedule waits for now goes on (one of a schedule replaced or
     * cancelled since is dropped here, at its next hop, rather than hop on for months); when due, never early, it
     * is taken ({@link RunService#takeSchedule}).
     */
    private void takeSchedule(NodeMessage m) {
        Run run = runs.find(m.runId()).orElse(null);
        NodeMessage current = run == null ? null : PauseSchedule.message(run);
        if (current == null || !current.notBefore().equals(m.notBefore())) {
            return;
        }
        if (dispatcher.notDue(m)) {
            dispatcher.hop(m);
            return;
        }
        // A moment early (within notDue's margin): sleep it out, so that the pause or resume is at its time.
        while (clock.instant().isBefore(m.notBefore())) {
            try {
                Thread.sleep(Math.max(1, java.time.Duration.between(clock.instant(), m.notBefore()).toMillis() + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted before a scheduled pause or resume", e);
            }
        }
        runService.takeSchedule(run);
    }

    private void checkDeadline(Run run) {
        if (run.isTerminal() || run.deadlineAt() == null) {
            return;
        }
        Instant now = clock.instant();
        if (now.isBefore(run.deadlineAt())) {
            dispatcher.send(NodeMessage.deadline(run.id(), run.deadlineAt()));
            return;
        }
        if (!PauseClock.timedOut(run, now)) {
            return; // paused, and its pauses do not count: the resume moves the deadline on and sends its message
        }
        timeOut(run);
    }

    private void timeOut(Run run) {
        terminate(run, definition(run), null, null, RunStatus.FAILED, null,
                "run timed out: it exceeded its timeoutMs of " + run.timeoutMs() + " ms");
    }

    // ---------------------------------------------------------------- when the claim is refused

    /**
     * The claim's condition did not hold: look at why, using the run as the refusal returned it. Returns true
     * when the claim should simply be tried again (the run was just started).
     */
    private RefusedClaim decide(NodeMessage m, Run run) {
        NodeState node = run == null ? null : run.node(m.nodeId());
        Definition.NodeType type = node == null ? null : definition(run).node(node.nodeId()).type();
        return RefusedClaim.decide(run, m.nodeId(), m.attempt(), type == Definition.NodeType.DELAY,
                type != null && PauseBefore.costs(type), clock.instant());
    }

    /** Carries out what {@link #decide} made of a refused claim. */
    private boolean reconcile(NodeMessage m, Run run, RefusedClaim decision) {
        Definition def = run == null ? null : definition(run);
        NodeState node = run == null ? null : run.node(m.nodeId());
        switch (decision) {
            case DROP -> {
                return false;
            }
            case REPLAY -> replay(run, def);
            case TIME_OUT -> timeOut(run);
            case TAKE_SCHEDULED_PAUSE -> {
                runService.takeSchedule(run);
                return true; // the run is paused now: the claim parks the node
            }
            case START_AND_RETRY -> {
                startRun(run);
                return true;
            }
            case START_AND_CLAIM_PARKED -> {
                startRun(run);
                claimAndRun(runs.find(run.id()).orElse(null), m.nodeId());
            }
            case RESEND_RETRY -> dispatcher.send(NodeMessage.node(run.id(), node.nodeId(), node.attempt(), node.notBefore()));
            case PARK -> {
                return park(run, node, null, null);
            }
            case CANCEL_LEFTOVERS -> cancelLeftovers(run, def);
            case TRY_AGAIN, CLAIM_PAST_BUDGET -> {
                return true;
            }
            case PAUSE_BEFORE -> {
                return pauseBefore(run, def, node, PauseBefore.cause(run, node,
                        PauseBefore.costs(def.node(node.nodeId()).type())));
            }
            case CLAIM_PARKED, CHECK_WORK -> claimAndRun(run, node.nodeId());
            case TAKE_OVER -> {
                return takeOver(run, def, node);
            }
            // Another worker holds it, or held it and failed before settling: look again once the lease is over,
            // so that a holder that stopped is always taken over (this message may be its only one).
            case WAIT_FOR_LEASE -> dispatcher.send(NodeMessage.node(run.id(), node.nodeId(), node.attempt(),
                    node.leaseUntil().plusMillis(500)));
            case STOP_AND_CANCEL -> {
                stopExternalWork(run, def, node);
                cancelNode(run, def, node);
            }
            case WAIT_UNTIL_DUE -> dispatcher.send(NodeMessage.node(run.id(), node.nodeId(), node.attempt(),
                    PauseClock.dueAt(run, node, clock.instant())));
            case COMPLETE_DELAY -> {
                ObjectNode out = Json.object();
                out.put("waitedUntil", Times.format(PauseClock.dueAt(run, node, clock.instant())));
                complete(run, def, node, new Outcome.Done(out, null));
            }
            case TEND_MAP -> mapHousekeeping(run, def, node);
            case APPLY_DECISION -> {
                NodeContext ctx = context(run, def, node);
                apply(run, def, node.withInput(ctx.input()),
                        limitOutput(new io.metronome.engine.nodes.ApprovalNode().execute(ctx)));
            }
            case FINISH_HAND_OFF -> handOffRest(run, def, node.nodeId(), new ArrayList<>());
        }
        return false;
    }

    /** Finishes what a stopped worker left undone after a node's final write: the run's end or the next messages. */
    private void replay(Run run, Definition def) {
        if (run.isTerminal()) {
            cancelLeftovers(run, def);
            return;
        }
        List<NodeState> pending = new ArrayList<>(run.nodes().values().stream()
                .filter(s -> s.phase() == Phase.PENDING).toList());
        for (NodeState s : run.nodes().values()) {
            if (s.phase() == Phase.COMPLETED) {
                handOffRest(run, def, s.nodeId(), pending); // a hand-off a stopped worker left unfinished
                return;
            }
            if (s.phase() == Phase.MAPPING && mapEnded(run, def, s.nodeId())) {
                return; // a map whose last child's worker stopped before ending it
            }
        }
        proceed(run, def, pending);
    }

    private void startRun(Run run) {
        Instant now = clock.instant();
        try {
            runs.transact(new RunWrite(run.id(), now).requireStatus(RunTransition.START.from())
                    .status(run.metronomeId(), RunStatus.RUNNING).time("startedAt", now),
                    List.of(AuditEvent.of(run, null, "run.started", null, now)));
        } catch (RunConflict ignored) {
            // another worker started it
        }
    }

    /** Claims a node that is parked or waiting to be taken over, with the revision it was read at. */
    private void claimAndRun(Run run, String nodeId) {
        if (run == null || !CLAIMABLE.contains(run.status())) {
            return;
        }
        NodeState node = run.node(nodeId);
        if (node == null || node.phase() != Phase.PAUSED && node.phase() != Phase.WAITING) {
            return;
        }
        Definition def = definition(run);
        ObjectNode cause = PauseBefore.cause(run, node, PauseBefore.costs(def.node(nodeId).type()));
        if (cause != null) {
            // Parked by a pause before it started, and a breakpoint or the budget holds it still.
            if (pauseBefore(run, def, node, cause)) {
                claimAndRun(runs.find(run.id()).orElse(null), nodeId);
            }
            return;
        }
        Instant now = clock.instant();
        // A parked node has not started: like any node about to, it waits for a scheduled pause that is due.
        boolean starts = node.phase() == Phase.PAUSED;
        if (starts && PauseSchedule.pauseDue(run, now)) {
            runService.takeSchedule(run);
            return; // parked where it is, for the scheduled pause's resume
        }
        NodeState.Builder start = node.to(Phase.RUNNING).lease(settings.workerId(), now.plus(settings.lease()))
                .startedAt(node.startedAt() != null ? node.startedAt() : now);
        if (node.startedAt() == null) {
            start.metadata(null); // what its parking said (PauseBefore.parkedMetadata) is not its work's
        }
        NodeState running = start.build();
        RunWrite claim = new RunWrite(run.id(), now).requireStatus(CLAIMABLE).requireBeforeDeadline(now)
                .requireNodeRev(nodeId, node.rev()).node(node, running)
                .time("lockedAt", now).text("lockedBy", settings.workerId());
        if (starts) {
            claim.requireBeforeScheduledPause(now);
        }
        Run after;
        try {
            after = runs.update(claim, ReturnValue.ALL_NEW);
        } catch (RunConflict c) {
            if (starts && c.current() != null && PauseSchedule.pauseDue(c.current(), now)) {
                runService.takeSchedule(c.current());
            }
            return;
        }
        execute(after, def, running);
    }

    /**
     * A node about to start that its run must pause before ({@link PauseBefore}: a breakpoint on it, or the
     * budget reached): the run pauses as a user's pause does, in one audited write against the run as read, the
     * node parked where it is with the cause on its step. Nodes still in flight settle as under any pause, and
     * the last of them audits {@code run.paused}; with none, this write does. Returns true when the run changed
     * meanwhile (look again).
     */
    private boolean pauseBefore(Run run, Definition def, NodeState node, ObjectNode cause) {
        Instant now = clock.instant();
        NodeState parked = node.to(Phase.PAUSED).lease(null, null).metadata(PauseBefore.parkedMetadata(node, cause))
                .build();
        Run after = run.withNode(parked);
        boolean settled = after.nodes().values().stream().noneMatch(NodeState::inFlight);
        RunWrite write = new RunWrite(run.id(), now).requireRev(run.rev()).requireStatus(CLAIMABLE)
                .status(run.metronomeId(), RunStatus.PAUSED).text("resumeTo", run.status().wire())
                .time("pausedAt", now).json("pauseCause", cause).flag("pauseSettled", settled)
                .node(node, parked);
        List<AuditEvent> events = new ArrayList<>();
        events.add(AuditEvent.of(run, null, "run.pause_requested", cause, now));
        if (settled) {
            events.add(AuditEvent.of(run, null, "run.paused", RunService.checkpoint(after, cause), now));
        }
        try {
            runs.transact(write, events);
        } catch (RunConflict c) {
            return c.current() != null;
        }
        record(run, def, parked);
        LOG.info("run {} paused before {}: {}", run.id(), node.nodeId(), cause.path("reason").asText());
        return false;
    }

    /**
     * The worker holding the node stopped and its lease ran out. Its attempt is recorded as failed and counted;
     * the next attempt runs here if the node has attempts left and the run may go on, or parks if it is paused.
     */
    private boolean takeOver(Run run, Definition def, NodeState dead) {
        Instant now = clock.instant();
        if (PauseSchedule.pauseDue(run, now)) {
            runService.takeSchedule(run);
            return true; // paused now: the take-over parks the next attempt instead of starting it
        }
        Definition.Node node = def.node(dead.nodeId());
        Step recorded = steps.find(run.id(), dead.stepId()).orElse(null);
        if (recorded != null && recorded.status() == StepStatus.COMPLETED && recorded.attempt() == dead.attempt()) {
            // The attempt finished and recorded itself before its worker stopped: its side effect happened, so
            // the node completes with it rather than running again.
            complete(run, def, dead, new Outcome.Done(recorded.output(), recorded.metadata()), recorded.completedAt());
            return false;
        }
        NodeState lost = dead.to(Phase.FAILED).completedAt(now).lease(null, null)
                .error("the worker running this attempt stopped before finishing (lease held by " + dead.lockedBy()
                        + " expired)").build();
        if (!recordAgreed(run, def, lost)) {
            // The attempt recorded itself completed between our look and our record: it completes with that.
            steps.find(run.id(), dead.stepId()).ifPresent(r -> complete(run, def, dead,
                    new Outcome.Done(r.output(), r.metadata()), r.completedAt()));
            return false;
        }
        boolean last = run.isTerminal() || dead.attempt() >= retryPolicy(run, node).maxAttempts();
        observe(def, dead, last ? Metrics.Outcome.FAILED : Metrics.Outcome.RETRY, now);
        if (!last) {
            Metrics.retry();
        }
        if (last) {
            failNode(run, def, dead, lost, "node " + node.id() + " failed after " + dead.attempt() + " attempts: "
                    + lost.error());
            return false;
        }
        boolean paused = run.status() == RunStatus.PAUSED;
        NodeState next = dead.to(paused ? Phase.PAUSED : Phase.RUNNING).attempt(dead.attempt() + 1)
                .stepId(Ids.next(Ids.STEP)).queuedAt(now).startedAt(paused ? null : now).completedAt(null)
                .output(null).error(null).lease(paused ? null : settings.workerId(),
                        paused ? null : now.plus(settings.lease())).build();
        RunWrite write = new RunWrite(run.id(), now).requireNodeRev(dead.nodeId(), dead.rev())
                .requireStatus(paused ? Set.of(RunStatus.PAUSED) : CLAIMABLE)
                .node(dead, next).closedEarlierStep(dead, lost);
        if (paused) {
            return park(run, dead, next, write);
        }
        Run after;
        try {
            after = runs.update(write.requireBeforeDeadline(now).requireBeforeScheduledPause(now), ReturnValue.ALL_NEW);
        } catch (RunConflict c) {
            return stillAt(c, dead); // paused, resumed or its scheduled pause due in between: look again
        }
        execute(after, def, next);
        return false;
    }

    /** After a refused write: true (try the message again) if the node is as it was, so only the run changed. */
    private static boolean stillAt(RunConflict c, NodeState node) {
        return c.current() != null && c.current().node(node.nodeId()) != null
                && c.current().node(node.nodeId()).rev() == node.rev();
    }

    /** Stops what a node started elsewhere (its executor knows what), when its run ended while it waited. */
    private void stopExternalWork(Run run, Definition def, NodeState node) {
        try {
            executors.forType(def.node(node.nodeId()).type()).cancel(NodeContext.of(run, def, node, Map.of(), clock.instant()));
        } catch (RuntimeException e) {
            LOG.warn("could not stop the work of {} in {}", node.nodeId(), run.id(), e);
        }
    }

    /** A node cancelled while it waited on work elsewhere: its step's metadata says what to stop. */
    private void stopCancelled(NodeMessage m) {
        Run run = runs.find(m.runId()).orElse(null);
        Step step = run == null || m.stepId() == null ? null : steps.find(run.id(), m.stepId()).orElse(null);
        if (step == null || step.status() != StepStatus.CANCELLED) {
            return;
        }
        NodeState cancelled = NodeState.pending(step.nodeId(), step.attempt(), step.createdAt(), null)
                .to(Phase.CANCELLED).stepId(step.id()).metadata(step.metadata()).build();
        stopExternalWork(run, definition(run), cancelled);
    }

    /**
     * Closes an ended (cancelled or failed) run once nothing of it is active (a node still running may yet have
     * been reached; the worker settling the last one comes back here) and its cancelled maps' children are all
     * recorded: records the nodes it never reached as cancelled steps (ids derived from the node, so a repeat lands
     * on the same records), then sets the summary's counters from the records, once. Counting from the records
     * here, a single time, makes the summary exact whatever races the end had with the workers.
     */
    private void closeRun(Run run) {
        if (!run.isTerminal() || run.status() == RunStatus.COMPLETED || !run.nodes().isEmpty() || run.closed()) {
            return;
        }
        Definition def = definition(run);
        List<Step> recorded = steps.summaries(run.id());
        java.util.Set<String> reached = new java.util.HashSet<>();
        Map<String, Step> maps = new java.util.HashMap<>(); // each map's latest step
        for (Step st : recorded) {
            reached.add(st.nodeId());
            if ("map".equals(st.nodeType()) && st.metadata() != null && st.metadata().has("total")) {
                maps.merge(st.nodeId(), st, (a, b) -> a.id().compareTo(b.id()) >= 0 ? a : b);
            }
        }
        for (Step map : maps.values()) {
            if (!neverStartedRecorded(run, map, recorded)) {
                return; // its never-started children are still being recorded; the last chunk closes the run
            }
        }
        Instant at = run.completedAt();
        List<Step> never = new ArrayList<>();
        for (Definition.Node node : def.nodes().values()) {
            if (!reached.contains(node.id())) {
                never.add(new Step(Ids.derived(Ids.STEP, at, run.id() + "/" + node.id() + "/cancelled"), run.id(),
                        run.metronomeId(), node.id(), node.type().wire(), StepStatus.CANCELLED, 0, null, null, null,
                        null, null, null, at, at, at, 1, null));
            }
        }
        steps.recordNew(never);
        List<Step> all = new ArrayList<>(recorded);
        all.addAll(never);
        try {
            runs.update(new RunWrite(run.id(), clock.instant()).requireRev(run.rev()).closed(all), ReturnValue.ALL_NEW);
        } catch (RunConflict changed) {
            if (changed.current() != null) {
                closeRun(changed.current()); // a late write landed in between: count again from what is there now
            }
        }
    }

    /**
     * Whether every child an ended map never started in its last pass ({@code started} on) is recorded as
     * cancelled since that pass began, or was kept from an earlier pass (which {@link #closeMap} does not record).
     */
    private boolean neverStartedRecorded(Run run, Step map, List<Step> recorded) {
        MapProgress p = MapProgress.of(map.metadata());
        if (p.started() >= p.total()) {
            return true;
        }
        java.util.BitSet covered = new java.util.BitSet();
        for (Step st : recorded) {
            if (map.nodeId().equals(Definition.mapOf(st.nodeId())) && st.id().compareTo(map.id()) > 0) {
                covered.set(Definition.indexOf(st.nodeId()));
            }
        }
        covered.or(KeptChildren.inRange(data, run, map.nodeId(), p.started(), p.total()));
        return covered.nextClearBit(p.started()) >= p.total();
    }

    /** Children of a cancelled map recorded per message; the next message carries on. */
    static final int CLOSE_CHUNK = 500;

    /**
     * Records a chunk of a cancelled map's children that never started as cancelled steps (ids derived from the
     * child, so a repeat lands on the same records) and sends the next chunk on; after the last, closes the run.
     */
    private void closeMap(NodeMessage m) {
        Run run = runs.find(m.runId()).orElse(null);
        Step map = run == null || m.stepId() == null ? null : steps.find(run.id(), m.stepId()).orElse(null);
        if (map == null || map.metadata() == null || !map.metadata().has("total")) {
            return;
        }
        Definition def = definition(run);
        int total = map.metadata().get("total").asInt();
        int from = m.attempt();
        int to = Math.min(total, from + CLOSE_CHUNK);
        Instant at = run.completedAt() != null ? run.completedAt() : map.completedAt();
        String type = def.node(Definition.childId(m.nodeId(), from)).type().wire();
        // A child kept from an earlier pass completed then: it stays completed on the timeline for the next redrive.
        java.util.BitSet kept = KeptChildren.inRange(data, run, m.nodeId(), from, to);
        List<Step> never = new ArrayList<>();
        for (int i = from; i < to; i++) {
            if (kept.get(i)) {
                continue;
            }
            String child = Definition.childId(m.nodeId(), i);
            never.add(new Step(Ids.derived(Ids.STEP, at, run.id() + "/" + child + "/cancelled"), run.id(),
                    run.metronomeId(), child, type, StepStatus.CANCELLED, 0, null, null, null, null, null, null, at,
                    at, at, 1, null));
        }
        steps.recordNew(never);
        if (to < total) {
            dispatcher.send(NodeMessage.close(run.id(), m.nodeId(), m.stepId(), to));
        } else {
            closeRun(run); // they are counted with the rest when the run closes
        }
    }

    /** Records as cancelled a node left waiting in a run that has ended. */
    private void cancelNode(Run run, Definition def, NodeState node) {
        Instant now = clock.instant();
        NodeState cancelled = node.to(Phase.CANCELLED).completedAt(now).lease(null, null).build();
        try {
            record(run, def, cancelled);
            runs.update(new RunWrite(run.id(), now).requireNodeRev(node.nodeId(), node.rev())
                    .node(node, cancelled), ReturnValue.ALL_NEW);
        } catch (RunConflict ignored) {
            // settled by someone else
        }
    }

    /**
     * The run is paused and this node was about to start (or its delay came due): it parks as a paused step.
     * Resume sends exactly the parked nodes again. The worker whose park leaves nothing in flight audits the pause.
     */
    private boolean park(Run run, NodeState node, NodeState prepared, RunWrite preparedWrite) {
        Instant now = clock.instant();
        NodeState parked = prepared != null ? prepared : node.to(Phase.PAUSED).lease(null, null).build();
        RunWrite write = preparedWrite != null ? preparedWrite : new RunWrite(run.id(), now)
                .requireNodeRev(node.nodeId(), node.rev()).requireStatus(Set.of(RunStatus.PAUSED)).node(node, parked);
        Run after;
        try {
            after = runs.update(write, ReturnValue.ALL_NEW);
        } catch (RunConflict c) {
            return stillAt(c, node); // resumed (or cancelled) in between: look again
        }
        record(after, null, parked);
        settledPause(after);
        return false;
    }

    /**
     * A pause has taken hold once no node is in flight ({@link NodeState#inFlight}): then
     * {@code run.paused} is audited, once, naming where the run parked. The write that audits it requires the
     * run unchanged since it was read, so of two workers settling at once only the one that sees the last in
     * flight settle audits.
     */
    private void settledPause(Run run) {
        for (int i = 0; run != null && i < CONFLICT_RETRIES; i++) {
            if (run.status() != RunStatus.PAUSED || run.pauseSettled()
                    || run.nodes().values().stream().anyMatch(NodeState::inFlight)) {
                return;
            }
            Instant now = clock.instant();
            try {
                runs.transact(new RunWrite(run.id(), now).requireRev(run.rev()).requireStatus(Set.of(RunStatus.PAUSED))
                                .flag("pauseSettled", true),
                        List.of(AuditEvent.of(run, null, "run.paused", RunService.checkpoint(run), now)));
                return;
            } catch (RunConflict c) {
                run = c.current();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A node's attempt ended (or began to wait) this way: counted by type and outcome, with its time since it started. */
    private static void observe(Definition def, NodeState node, Metrics.Outcome outcome, Instant at) {
        Definition.Node n = def == null ? null : def.node(node.nodeId());
        String type = n == null ? null : n.type().wire();
        long ms = node.startedAt() == null || at == null ? 0 : java.time.Duration.between(node.startedAt(), at).toMillis();
        Metrics.node(type, outcome, ms);
        LOG.info("{} node {} attempt {}: {} after {} ms", type, node.nodeId(), node.attempt(), outcome.wire(), ms);
    }

    /** This worker's write ended the run. */
    private static void ended(Run run, RunStatus status, String error) {
        if (status == RunStatus.COMPLETED) {
            Metrics.runCompleted();
            LOG.info("run {} completed", run.id());
        } else {
            Metrics.runFailed();
            LOG.info("run {} failed: {}", run.id(), error);
        }
    }

    /**
     * Records a node's state unless a record of the same revision is there, and says whether the record now
     * agrees with it: the step record decides between a slow attempt completing and a worker taking it over.
     */
    private boolean recordAgreed(Run run, Definition def, NodeState state) {
        Step step = Step.of(run, state, def.node(state.nodeId()).type().wire(), clock.instant());
        return steps.record(step) || steps.find(run.id(), state.stepId()).map(r -> r.status() == step.status()).orElse(false);
    }

    /** Writes the step record that a node's state shows. Repeats and late writes are harmless (see StepRepository). */
    private void record(Run run, Definition def, NodeState state) {
        if (run == null || state == null) {
            return;
        }
        Definition d = def != null ? def : definition(run);
        steps.record(Step.of(run, state, d.node(state.nodeId()).type().wire(), clock.instant()));
    }

    private Definition definition(Run run) {
        return metronomes.version(run.metronomeId(), run.versionId()).definition();
    }

    private Definition.Retry retryPolicy(Run run, Definition.Node node) {
        if (node.retry() != null) {
            return node.retry();
        }
        int max = run.maxAttempts() > 0 ? run.maxAttempts() : settings.defaultMaxAttempts();
        return new Definition.Retry(max, 1, 2);
    }

    /** DynamoDB refused the request itself (a size or another limit): the same request would be refused again. */
    private static boolean isValidation(DynamoDbException e) {
        return e.awsErrorDetails() != null && "ValidationException".equals(e.awsErrorDetails().errorCode());
    }

    private static Outcome limitOutput(Outcome outcome) {
        if (outcome instanceof Outcome.Done done && done.output() != null) {
            int size = done.output().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (size > MAX_OUTPUT_BYTES) {
                return new Outcome.Failed("output of " + size + " bytes exceeds the limit of " + MAX_OUTPUT_BYTES
                        + " bytes (256 KB) for a node's output", false, null);
            }
        }
        return outcome;
    }
}
