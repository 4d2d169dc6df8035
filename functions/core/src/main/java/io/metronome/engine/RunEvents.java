package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Definition;
import io.metronome.domain.EventCursor;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunEvent.Type;
import io.metronome.domain.RunStatus;
import io.metronome.domain.StepStatus;
import io.metronome.domain.Times;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * A run's events, read off two successive versions of its run item: pure, so a stream record delivered twice (or
 * a stream replayed) gives the same events under the same ids. The run item's {@code rev} grows by one with every
 * write, so the events of a write are numbered {@code <rev>.<index>}, and every writer's events fall in one order
 * without clocks.
 *
 * <p>A write's events come in this order: what the run starts doing (queued, started, resumed, pausing,
 * cancelling); then, node by node in id order (a map's children by index), what happened to each (its step that
 * ended, then its next attempt's start or retry, its approval asked or decided); then what the run has come to
 * (paused, cancelled, completed, failed).
 *
 * <p>What a write emits, by what it changed (node phases as {@link NodeState#NEXT} allows them):
 * <ul>
 *   <li>run created: workflow.queued; QUEUED to RUNNING: workflow.started; to PAUSED: workflow.pausing (the
 *   nodes still in flight), and workflow.paused in the same write when none is; {@code pauseSettled} set:
 *   workflow.paused with the checkpoint, as {@code run.paused} audits it; PAUSED to a live status:
 *   workflow.resumed; FAILED or CANCELLED to RUNNING (a redrive): workflow.redriven; to CANCELLED: workflow.cancelling (the nodes still running), and workflow.cancelled in
 *   the write after which no node of the run is active (the same write when none is); to COMPLETED or FAILED:
 *   workflow.completed or workflow.failed. RUNNING and WAITING_APPROVAL trade places silently: the approvals
 *   say why.</li>
 *   <li>a step started (a claim, a takeover, a parked node that had not begun): step.started; a step ended (the
 *   item's {@code ended}): step.completed, step.failed or step.cancelled; a node moved to a next attempt not
 *   started yet (a retry, or a takeover while paused): step.retry_scheduled; to WAITING_APPROVAL:
 *   approval.requested; WAITING_APPROVAL to DECIDED: approval.decided.</li>
 *   <li>nothing else: a join's arrivals, a map's counts, a delay's or a poll's waiting, a node parked or taking
 *   up its work again, a hand-off continued, the run's closing, and the sweeper's bookkeeping (which keeps the
 *   revision) are no events. Skipped nodes never enter the run item and have none either.</li>
 * </ul>
 *
 * <p>A map's children are nodes like any other ({@code map[3]}): each has its step events, so a map of n
 * children gives a few events per child, never more. Comparing two versions looks each node up by id in both
 * (hash maps), so the work is linear in the size of the two images, whatever the number of children.
 *
 * <p>Versions that are not successive: a version seen again, or one that did not move the revision, gives no
 * event. A later version than the next one (a stream read from a later point, so that writes in between were
 * never seen) gives the net change between the two, under the later revision: no write's events are made up,
 * and ids still only grow. A DynamoDB stream's record holds both images of one write, so with it this does not
 * happen.
 */
public final class RunEvents {
    /** Map children by index, after their map: {@code m, m[2], m[10]}. */
    static final Comparator<String> NODE_ORDER = Comparator
            .comparing((String id) -> Definition.mapOf(id) == null ? id : Definition.mapOf(id))
            .thenComparingInt(id -> Definition.mapOf(id) == null ? -1 : Definition.indexOf(id))
            .thenComparing(Comparator.naturalOrder());

    private RunEvents() {
    }

    private record Draft(Type type, ObjectNode fields) {
    }

    /**
     * @param before the version before the write, null when the write created the run
     * @param after the version the write left
     */
    public static List<RunEvent> between(Run before, Run after) {
        Objects.requireNonNull(after, "after");
        if (before != null && !before.id().equals(after.id())) {
            throw new IllegalArgumentException("versions of two runs: " + before.id() + " and " + after.id());
        }
        if (before != null && after.rev() <= before.rev()) {
            return List.of();
        }
        RunStatus was = before == null ? null : before.status();
        Map<String, NodeState> wasNodes = before == null ? Map.of() : before.nodes();
        RunStatus now = after.status();
        List<Draft> drafts = new ArrayList<>();

        if (was == null) {
            drafts.add(workflow(Type.WORKFLOW_QUEUED, after));
            was = RunStatus.QUEUED; // a first version past creation: what followed it is the net change
        }
        if (was != now) {
            if (was == RunStatus.QUEUED && now == RunStatus.RUNNING) {
                drafts.add(workflow(Type.WORKFLOW_STARTED, after));
            } else if (was == RunStatus.PAUSED && !now.isTerminal()) {
                drafts.add(workflow(Type.WORKFLOW_RESUMED, after));
            } else if (was.isTerminal() && !now.isTerminal()) {
                Draft redriven = workflow(Type.WORKFLOW_REDRIVEN, after);
                redriven.fields().put("redriveCount", after.lineage().redriveCount());
                drafts.add(redriven);
            }
            if (now == RunStatus.PAUSED) {
                drafts.add(inFlight(workflow(Type.WORKFLOW_PAUSING, after), after, NodeState::inFlight));
            } else if (now == RunStatus.CANCELLED) {
                drafts.add(inFlight(workflow(Type.WORKFLOW_CANCELLING, after), after, s -> s.phase() == Phase.RUNNING));
            }
        }

        boolean runHadEnded = was.isTerminal() && now.isTerminal(); // a redrive's write ends nothing late
        TreeSet<String> ids = new TreeSet<>(NODE_ORDER);
        ids.addAll(wasNodes.keySet());
        ids.addAll(after.nodes().keySet());
        ids.addAll(after.ended().keySet());
        for (String id : ids) {
            node(drafts, id, wasNodes.get(id), after.node(id), after.ended().get(id), runHadEnded);
        }

        if (now == RunStatus.PAUSED && after.pauseSettled()
                && !(was == RunStatus.PAUSED && before != null && before.pauseSettled())) {
            Draft paused = workflow(Type.WORKFLOW_PAUSED, after);
            paused.fields().setAll(RunService.checkpoint(after));
            drafts.add(paused);
        }
        if (now == RunStatus.CANCELLED && after.nodes().isEmpty()
                && !(was == RunStatus.CANCELLED && wasNodes.isEmpty())) {
            drafts.add(workflow(Type.WORKFLOW_CANCELLED, after));
        }
        if (now != was && now == RunStatus.COMPLETED) {
            drafts.add(workflow(Type.WORKFLOW_COMPLETED, after));
        } else if (now != was && now == RunStatus.FAILED) {
            Draft failed = workflow(Type.WORKFLOW_FAILED, after);
            failed.fields().put("error", after.error());
            drafts.add(failed);
        }

        if (drafts.size() > EventCursor.MAX_INDEX + 1) {
            throw new IllegalStateException("revision " + after.rev() + " of " + after.id() + " gives " + drafts.size()
                    + " events, more than one write may have");
        }
        List<RunEvent> events = new ArrayList<>(drafts.size());
        for (int i = 0; i < drafts.size(); i++) {
            Draft d = drafts.get(i);
            events.add(new RunEvent(new EventCursor(after.rev(), i), d.type(), after.id(), after.metronomeId(),
                    after.updatedAt(), d.fields()));
        }
        return events;
    }

    /** What one node's change gives: its step that ended, then what its current step began doing. */
    private static void node(List<Draft> out, String id, NodeState b, NodeState a, Run.EndedStep ended,
                             boolean runHadEnded) {
        if (ended != null && ended.status() != StepStatus.SKIPPED) {
            Type type = switch (ended.status()) {
                case COMPLETED -> Type.STEP_COMPLETED;
                case FAILED -> Type.STEP_FAILED;
                default -> Type.STEP_CANCELLED;
            };
            Draft d = step(type, id, ended.attempt());
            if (type == Type.STEP_FAILED) {
                d.fields().put("error", ended.error());
            }
            // Its side effect happened after its run had ended; a step cancelled never ran (Step.afterRunEnded).
            d.fields().put("runEnded", runHadEnded && type != Type.STEP_CANCELLED);
            out.add(d);
        }
        if (a == null || a.phase().isFinal() || a.phase() == Phase.JOINING) {
            return;
        }
        boolean newStep = b == null || !Objects.equals(b.stepId(), a.stepId());
        if (a.startedAt() != null && (newStep || b.startedAt() == null)) {
            out.add(step(Type.STEP_STARTED, id, a.attempt()));
        } else if (a.startedAt() == null && b != null && b.stepId() != null && a.attempt() > b.attempt()) {
            // a step failed and the node's next attempt waits (a join that entered has had no step: no retry)
            Draft d = step(Type.STEP_RETRY_SCHEDULED, id, a.attempt());
            d.fields().put("notBefore", Times.format(a.notBefore()));
            out.add(d);
        }
        boolean samePhase = !newStep && b.phase() == a.phase();
        if (a.phase() == Phase.WAITING_APPROVAL && !samePhase) {
            Draft d = step(Type.APPROVAL_REQUESTED, id, a.attempt());
            d.fields().put("prompt", a.metadata() == null ? null : a.metadata().path("prompt").asText(null));
            out.add(d);
        } else if (a.phase() == Phase.DECIDED && !samePhase) {
            Draft d = step(Type.APPROVAL_DECIDED, id, a.attempt());
            JsonNode decision = a.decision() == null ? Json.object() : a.decision();
            d.fields().put("approved", decision.path("approved").asBoolean());
            d.fields().put("comment", decision.path("comment").asText(null));
            d.fields().put("actorUserId", decision.path("actorUserId").asText(null));
            out.add(d);
        }
    }

    private static Draft step(Type type, String nodeId, int attempt) {
        ObjectNode f = Json.object();
        f.put("nodeId", nodeId);
        f.put("attempt", attempt);
        return new Draft(type, f);
    }

    private static Draft workflow(Type type, Run after) {
        ObjectNode f = Json.object();
        f.put("status", after.status().wire());
        return new Draft(type, f);
    }

    private static Draft inFlight(Draft d, Run after, Predicate<NodeState> which) {
        var list = d.fields().putArray("inFlight");
        after.nodes().values().stream().filter(which).map(NodeState::nodeId)
                .sorted(NODE_ORDER).forEach(list::add);
        return d;
    }
}
