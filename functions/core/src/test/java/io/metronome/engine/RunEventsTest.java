package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunStatus;
import io.metronome.domain.RunTransition;
import io.metronome.domain.StepStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The events two successive versions of a run item give, for every move of a node and of a run. */
class RunEventsTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant T1 = T0.plusSeconds(1);
    private static final Instant T2 = T0.plusSeconds(2);
    private static final Instant T3 = T0.plusSeconds(3);

    // ---------------------------------------------------------------- versions of a run item

    /** A version of the run item: its status, revision, pause flag, run error, the steps its write ended, nodes. */
    private static Run version(RunStatus status, long rev, boolean pauseSettled, String error,
                               Map<String, Run.EndedStep> ended, NodeState... nodes) {
        Map<String, NodeState> frontier = new LinkedHashMap<>();
        for (NodeState n : nodes) {
            frontier.put(n.nodeId(), n);
        }
        return new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, status, null, null, error, T0, T0,
                null, null, null, 1, 3, 0, null, null, null, T0, T0.plusMillis(rev), null, null, rev, frontier,
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), 0, 0, 0), null, pauseSettled, false, ended);
    }

    private static Run version(RunStatus status, long rev, NodeState... nodes) {
        return version(status, rev, false, null, Map.of(), nodes);
    }

    private static Map<String, Run.EndedStep> ended(Object... idAttemptStatus) {
        Map<String, Run.EndedStep> m = new TreeMap<>();
        for (int i = 0; i < idAttemptStatus.length; i += 3) {
            StepStatus st = (StepStatus) idAttemptStatus[i + 2];
            m.put((String) idAttemptStatus[i], new Run.EndedStep((Integer) idAttemptStatus[i + 1], st,
                    st == StepStatus.FAILED ? "boom" : null));
        }
        return m;
    }

    private static List<String> types(List<RunEvent> events) {
        return events.stream().map(e -> e.type().wire()).toList();
    }

    private static List<String> ids(List<RunEvent> events) {
        return events.stream().map(RunEvent::id).toList();
    }

    // ---------------------------------------------------------------- a node in each phase, as the worker leaves it

    private static NodeState pending(String id) {
        return NodeState.pending(id, 1, T0, null);
    }

    private static NodeState running(String id) {
        return pending(id).to(Phase.RUNNING).lease("w", T0.plusSeconds(300)).startedAt(T0).build();
    }

    private static NodeState inPhase(Phase phase, boolean startedBefore) {
        return switch (phase) {
            case JOINING -> NodeState.joining("n", Json.object().put("a", true));
            case PENDING -> pending("n");
            case RUNNING -> running("n");
            case WAITING -> running("n").to(Phase.WAITING).dueAt(T3).lease(null, null).build();
            case WAITING_APPROVAL -> running("n").to(Phase.WAITING_APPROVAL).lease(null, null)
                    .metadata(Json.object().put("prompt", "ship it?")).build();
            case DECIDED -> inPhase(Phase.WAITING_APPROVAL, true).to(Phase.DECIDED).decision(decision()).build();
            case PAUSED -> startedBefore ? inPhase(Phase.WAITING, true).to(Phase.PAUSED).build()
                    : pending("n").to(Phase.PAUSED).build();
            case MAPPING -> running("n").to(Phase.MAPPING).lease(null, null)
                    .progress(Json.object().put("total", 3)).build();
            case COMPLETED -> running("n").to(Phase.COMPLETED).completedAt(T1).lease(null, null)
                    .progress(Json.MAPPER.createArrayNode().add("next")).build();
            default -> throw new IllegalArgumentException("a final node is not on the run item: " + phase);
        };
    }

    private static JsonNode decision() {
        return Json.object().put("approved", true).put("comment", "fine").put("actorUserId", "u-approver");
    }

    /** Moves that put a node on its next attempt: a retry, a takeover (running, or parked while paused). */
    private static boolean nextAttempt(Phase from, Phase to) {
        return (from == Phase.RUNNING && (to == Phase.PENDING || to == Phase.RUNNING || to == Phase.PAUSED))
                || (from == Phase.DECIDED && to == Phase.PENDING);
    }

    /** The node after the move, as the worker's write leaves it. */
    private static NodeState moved(NodeState b, Phase to) {
        NodeState.Builder a = b.to(to);
        if (nextAttempt(b.phase(), to)) {
            a.attempt(b.attempt() + 1).stepId("stp_next").queuedAt(T2).completedAt(null).error(null)
                    .startedAt(to == Phase.RUNNING ? T2 : null).notBefore(to == Phase.PENDING ? T3 : null);
        } else if (to == Phase.RUNNING) {
            a.startedAt(b.startedAt() != null ? b.startedAt() : T2).lease("w", T2.plusSeconds(300));
        } else if (to.isFinal()) {
            a.completedAt(T2).lease(null, null).error(to == Phase.FAILED ? "boom" : null);
        }
        if (b.phase() == Phase.COMPLETED) {
            a.progress(null); // the rest of a hand-off made: off the run item
        }
        return a.build();
    }

    private static List<String> nodeMove(NodeState b, Phase to) {
        NodeState a = moved(b, to);
        Map<String, Run.EndedStep> ended = new TreeMap<>();
        if (nextAttempt(b.phase(), to)) {
            ended.putAll(ended("n", b.attempt(), StepStatus.FAILED)); // the earlier attempt's step
        } else if (to.isFinal() && !b.phase().isFinal()) {
            ended.putAll(ended("n", a.attempt(), to.stepStatus()));
        }
        boolean offTheItem = a.phase().isFinal() && a.progress() == null;
        Run before = version(RunStatus.RUNNING, 5, b);
        Run after = offTheItem ? version(RunStatus.RUNNING, 6, false, null, ended)
                : version(RunStatus.RUNNING, 6, false, null, ended, a);
        List<RunEvent> events = RunEvents.between(before, after);
        assertThat(ids(events)).as("ids dense in the write").isEqualTo(
                java.util.stream.IntStream.range(0, events.size()).mapToObj(i -> "6." + i).toList());
        return types(events);
    }

    @Test
    void everyMoveOfTheNodeTransitionTableGivesItsDocumentedEvents() {
        Map<String, List<String>> expected = new TreeMap<>();
        expected.put("JOINING>JOINING", List.of());
        expected.put("PENDING>RUNNING", List.of("step.started"));
        expected.put("PENDING>PAUSED", List.of());
        expected.put("PENDING>CANCELLED", List.of("step.cancelled"));
        expected.put("RUNNING>COMPLETED", List.of("step.completed"));
        expected.put("RUNNING>FAILED", List.of("step.failed"));
        expected.put("RUNNING>WAITING", List.of());
        expected.put("RUNNING>WAITING_APPROVAL", List.of("approval.requested"));
        expected.put("RUNNING>MAPPING", List.of());
        expected.put("RUNNING>PENDING", List.of("step.failed", "step.retry_scheduled"));
        expected.put("RUNNING>RUNNING", List.of("step.failed", "step.started"));
        expected.put("RUNNING>PAUSED", List.of("step.failed", "step.retry_scheduled"));
        expected.put("RUNNING>CANCELLED", List.of("step.cancelled"));
        expected.put("WAITING>RUNNING", List.of());
        expected.put("WAITING>COMPLETED", List.of("step.completed"));
        expected.put("WAITING>PAUSED", List.of());
        expected.put("WAITING>CANCELLED", List.of("step.cancelled"));
        expected.put("WAITING_APPROVAL>DECIDED", List.of("approval.decided"));
        expected.put("WAITING_APPROVAL>CANCELLED", List.of("step.cancelled"));
        expected.put("DECIDED>COMPLETED", List.of("step.completed"));
        expected.put("DECIDED>FAILED", List.of("step.failed"));
        expected.put("DECIDED>PENDING", List.of("step.failed", "step.retry_scheduled"));
        expected.put("DECIDED>PAUSED", List.of());
        expected.put("DECIDED>CANCELLED", List.of("step.cancelled"));
        expected.put("PAUSED>RUNNING", List.of("step.started")); // parked before it began
        expected.put("PAUSED>PAUSED", List.of()); // held again on resume, by its breakpoint or the budget
        expected.put("PAUSED>CANCELLED", List.of("step.cancelled"));
        expected.put("MAPPING>MAPPING", List.of());
        expected.put("MAPPING>COMPLETED", List.of("step.completed"));
        expected.put("MAPPING>FAILED", List.of("step.failed"));
        expected.put("MAPPING>CANCELLED", List.of("step.cancelled"));
        expected.put("COMPLETED>COMPLETED", List.of()); // the end of a hand-off: the step ended before

        Map<String, List<String>> actual = new TreeMap<>();
        NodeState.NEXT.forEach((from, tos) -> {
            if (from.isFinal() && from != Phase.COMPLETED) {
                assertThat(tos).as(from + " goes nowhere").isEmpty();
                return;
            }
            for (Phase to : tos) {
                actual.put(from + ">" + to, nodeMove(inPhase(from, false), to));
            }
        });
        assertThat(actual).isEqualTo(expected);
        assertThat(nodeMove(inPhase(Phase.PAUSED, true), Phase.RUNNING))
                .as("a node parked while it waited takes its work up again: its step had started").isEmpty();
    }

    @Test
    void aJoinWhoseLastArrivalCameIsReadyNotRetried() {
        NodeState joining = inPhase(Phase.JOINING, false);
        NodeState ready = pending("n"); // the hand-off replaces the join's entry with its first attempt
        assertThat(RunEvents.between(version(RunStatus.RUNNING, 5, joining), version(RunStatus.RUNNING, 6, ready)))
                .isEmpty();
        assertThat(RunEvents.between(version(RunStatus.RUNNING, 5, joining), version(RunStatus.RUNNING, 6)))
                .as("a join resolved as skipped leaves the item: no step of it ever ran").isEmpty();
    }

    @Test
    void eachStepEventSaysWhichNodeAndAttemptAndHowItEnded() {
        NodeState b = running("n").to(Phase.RUNNING).attempt(2).stepId("stp_2").startedAt(T1).build();
        List<RunEvent> failed = RunEvents.between(version(RunStatus.RUNNING, 8, b),
                version(RunStatus.RUNNING, 9, false, null, Map.of("n", new Run.EndedStep(2, StepStatus.FAILED, "boom"))));
        assertThat(failed).hasSize(1);
        RunEvent e = failed.get(0);
        assertThat(e.id()).isEqualTo("9.0");
        assertThat(e.runId()).isEqualTo("run_x");
        assertThat(e.metronomeId()).isEqualTo("met_m");
        assertThat(e.at()).as("the write's updatedAt").isEqualTo(T0.plusMillis(9));
        assertThat(e.toJson()).isEqualTo(Json.read("""
                {"id": "9.0", "type": "step.failed", "runId": "run_x", "metronomeId": "met_m",
                 "at": "2026-12-01T10:00:00.009Z", "nodeId": "n", "attempt": 2, "error": "boom", "runEnded": false}"""));
        assertThat(RunEvent.fromJson(e.toJson())).isEqualTo(e);
    }

    // ---------------------------------------------------------------- the run's own moves

    @Test
    void creatingARunQueuesIt() {
        List<RunEvent> events = RunEvents.between(null, version(RunStatus.QUEUED, 1, pending("start")));
        assertThat(types(events)).containsExactly("workflow.queued");
        assertThat(events.get(0).id()).isEqualTo("1.0");
        assertThat(events.get(0).fields().get("status").asText()).isEqualTo("queued");
    }

    @Test
    void everyRunTransitionFromEachStatusItAllowsGivesItsDocumentedEvents() {
        for (RunTransition t : RunTransition.values()) {
            for (RunStatus from : t.from()) {
                for (RunStatus to : t == RunTransition.RESUME ? List.of(RunStatus.QUEUED, RunStatus.RUNNING,
                        RunStatus.WAITING_APPROVAL) : List.of(t.to())) {
                    String what = t + " " + from + ">" + to;
                    NodeState node = running("a");
                    // with a node in flight across the write, and with none left after it
                    List<String> busy = types(RunEvents.between(version(from, 3, node), version(to, 4, node)));
                    List<String> idle = types(RunEvents.between(version(from, 3), version(to, 4, to == RunStatus.PAUSED,
                            to == RunStatus.FAILED ? "node a failed" : null, Map.of())));
                    switch (t) {
                        case START -> {
                            assertThat(busy).as(what).containsExactly("workflow.started");
                            assertThat(idle).as(what).containsExactly("workflow.started");
                        }
                        case AWAIT_APPROVAL, DECIDE -> {
                            assertThat(busy).as(what + ": the approvals say it").isEmpty();
                            assertThat(idle).as(what).isEmpty();
                        }
                        case PAUSE -> {
                            assertThat(busy).as(what).containsExactly("workflow.pausing");
                            assertThat(idle).as(what).containsExactly("workflow.pausing", "workflow.paused");
                        }
                        case RESUME -> {
                            assertThat(busy).as(what).containsExactly("workflow.resumed");
                            assertThat(idle).as(what).containsExactly("workflow.resumed");
                        }
                        case CANCEL -> {
                            assertThat(busy).as(what).containsExactly("workflow.cancelling");
                            assertThat(idle).as(what).containsExactly("workflow.cancelling", "workflow.cancelled");
                        }
                        case COMPLETE -> {
                            assertThat(busy).as(what).containsExactly("workflow.completed");
                            assertThat(idle).as(what).containsExactly("workflow.completed");
                        }
                        case FAIL -> {
                            assertThat(busy).as(what).containsExactly("workflow.failed");
                            assertThat(idle).as(what).containsExactly("workflow.failed");
                        }
                    }
                }
            }
        }
        RunEvent failed = RunEvents.between(version(RunStatus.RUNNING, 3), version(RunStatus.FAILED, 4, false,
                "run timed out", Map.of())).get(0);
        assertThat(failed.fields().get("error").asText()).isEqualTo("run timed out");
        RunEvent resumed = RunEvents.between(version(RunStatus.PAUSED, 3), version(RunStatus.WAITING_APPROVAL, 4)).get(0);
        assertThat(resumed.fields().get("status").asText()).as("where it went back to").isEqualTo("waiting_approval");
    }

    @Test
    void aPauseWithNodesInFlightIsPausingUntilTheWriteThatSettlesItSaysPausedWithTheCheckpoint() {
        NodeState a = running("a");
        NodeState b = pending("b");
        NodeState w = inPhase(Phase.WAITING, true);
        Run v1 = version(RunStatus.RUNNING, 1, a, b, w);
        Run v2 = version(RunStatus.PAUSED, 2, a, b, w);                                    // pause accepted
        NodeState bParked = b.to(Phase.PAUSED).build();
        Run v3 = version(RunStatus.PAUSED, 3, a, bParked, w);                             // b parks
        Run v4 = version(RunStatus.PAUSED, 4, false, null,
                ended("a", 1, StepStatus.COMPLETED), bParked, w);                         // a completes
        Run v5 = version(RunStatus.PAUSED, 5, true, null, Map.of(), bParked, w);          // the pause took hold

        List<RunEvent> pausing = RunEvents.between(v1, v2);
        assertThat(types(pausing)).containsExactly("workflow.pausing");
        assertThat(pausing.get(0).fields().get("inFlight")).isEqualTo(Json.read("[\"a\", \"b\"]"));
        assertThat(RunEvents.between(v2, v3)).isEmpty();
        assertThat(types(RunEvents.between(v3, v4))).as("still pausing").containsExactly("step.completed");
        List<RunEvent> paused = RunEvents.between(v4, v5);
        assertThat(types(paused)).containsExactly("workflow.paused");
        assertThat(paused.get(0).id()).isEqualTo("5.0");
        assertThat(paused.get(0).fields().get("checkpoint").asText()).isEqualTo("b");
        assertThat(paused.get(0).fields().get("checkpoints")).isEqualTo(Json.read("[\"b\", \"n\"]"));
        assertThat(paused.get(0).fields()).as("as run.paused audits it").isEqualTo(
                RunService.checkpoint(v5).put("status", "paused"));

        Run resumed = version(RunStatus.RUNNING, 6, true, null, Map.of(), bParked, w);
        assertThat(types(RunEvents.between(v5, resumed))).containsExactly("workflow.resumed");
        Run pausedAgain = version(RunStatus.PAUSED, 7, false, null, Map.of(), bParked, w);
        assertThat(types(RunEvents.between(resumed, pausedAgain)))
                .as("the flag left over from the last pause is not this pause's").containsExactly("workflow.pausing");
    }

    @Test
    void aCancelWithANodeRunningIsCancellingUntilThatNodeEndsWithItsRealOutcomeFlagged() {
        NodeState a = running("a");
        NodeState b = pending("b");
        Run v1 = version(RunStatus.RUNNING, 1, a, b);
        Run v2 = version(RunStatus.CANCELLED, 2, false, null, ended("b", 1, StepStatus.CANCELLED), a);
        Run v3 = version(RunStatus.CANCELLED, 3, false, null, ended("a", 1, StepStatus.COMPLETED));

        List<RunEvent> cancelling = RunEvents.between(v1, v2);
        assertThat(types(cancelling)).containsExactly("workflow.cancelling", "step.cancelled");
        assertThat(cancelling.get(0).fields().get("inFlight")).isEqualTo(Json.read("[\"a\"]"));
        assertThat(cancelling.get(1).fields().get("nodeId").asText()).isEqualTo("b");
        List<RunEvent> cancelled = RunEvents.between(v2, v3);
        assertThat(types(cancelled)).containsExactly("step.completed", "workflow.cancelled");
        assertThat(cancelled.get(0).fields().get("runEnded").asBoolean()).as("its side effect happened").isTrue();
        assertThat(RunEvents.between(v3, version(RunStatus.CANCELLED, 4))).as("closing the run").isEmpty();

        // A node the run's end left waiting, cancelled by a later write: it never ran, so it is not flagged.
        NodeState waiting = pending("c");
        List<RunEvent> leftover = RunEvents.between(version(RunStatus.CANCELLED, 5, waiting),
                version(RunStatus.CANCELLED, 6, false, null, ended("c", 1, StepStatus.CANCELLED)));
        assertThat(types(leftover)).containsExactly("step.cancelled", "workflow.cancelled");
        assertThat(leftover.get(0).fields().get("runEnded").asBoolean()).as("no side effect").isFalse();
    }

    @Test
    void aRetrySaysWhichAttemptFailedAndWhenTheNextMayStart() {
        NodeState a = running("a");
        NodeState retry = a.to(Phase.PENDING).attempt(2).stepId("stp_2").startedAt(null).lease(null, null)
                .notBefore(T3).build();
        List<RunEvent> events = RunEvents.between(version(RunStatus.RUNNING, 4, a), version(RunStatus.RUNNING, 5,
                false, null, ended("a", 1, StepStatus.FAILED), retry));
        assertThat(types(events)).containsExactly("step.failed", "step.retry_scheduled");
        assertThat(events.get(0).fields().get("attempt").asInt()).isEqualTo(1);
        assertThat(events.get(0).fields().get("error").asText()).isEqualTo("boom");
        assertThat(events.get(1).fields().get("attempt").asInt()).isEqualTo(2);
        assertThat(events.get(1).fields().get("notBefore").asText()).isEqualTo("2026-12-01T10:00:03.000Z");

        NodeState claimed = retry.to(Phase.RUNNING).startedAt(T3).lease("w", T3.plusSeconds(300)).build();
        List<RunEvent> started = RunEvents.between(version(RunStatus.RUNNING, 5, retry), version(RunStatus.RUNNING, 6, claimed));
        assertThat(types(started)).containsExactly("step.started");
        assertThat(started.get(0).fields().get("attempt").asInt()).isEqualTo(2);
    }

    @Test
    void anApprovalIsRequestedWithItsPromptAndDecidedWithWhoDecided() {
        NodeState a = running("a");
        NodeState asking = running("n");
        NodeState waiting = asking.to(Phase.WAITING_APPROVAL).lease(null, null)
                .metadata(Json.object().put("prompt", "ship it?")).build();
        List<RunEvent> requested = RunEvents.between(version(RunStatus.RUNNING, 2, asking),
                version(RunStatus.WAITING_APPROVAL, 3, waiting));
        assertThat(types(requested)).containsExactly("approval.requested");
        assertThat(requested.get(0).fields().get("prompt").asText()).isEqualTo("ship it?");

        NodeState decided = waiting.to(Phase.DECIDED).decision(decision()).build();
        List<RunEvent> approved = RunEvents.between(version(RunStatus.WAITING_APPROVAL, 3, waiting, a),
                version(RunStatus.RUNNING, 4, decided, a));
        assertThat(types(approved)).containsExactly("approval.decided");
        assertThat(approved.get(0).fields()).isEqualTo(Json.read("""
                {"nodeId": "n", "attempt": 1, "approved": true, "comment": "fine", "actorUserId": "u-approver"}"""));
    }

    @Test
    void aWriteThatEndsSeveralNodesGivesTheirEventsInNodeOrderMapChildrenByIndexThenTheRunsEnd() {
        NodeState z = running("z");
        NodeState[] frontier = {z, pending("b"), pending("a"), inPhase(Phase.MAPPING, true) /* the map n */, pending("n[10]"),
                running("n[2]"), pending("n[1]")};
        Run before = version(RunStatus.RUNNING, 11, frontier);
        // z fails the run: the nodes not started are cancelled in the same write; n[2] runs on
        Run after = version(RunStatus.FAILED, 12, false, "node z failed: boom", ended("z", 1, StepStatus.FAILED,
                "b", 1, StepStatus.CANCELLED, "a", 1, StepStatus.CANCELLED, "n", 1, StepStatus.CANCELLED,
                "n[10]", 1, StepStatus.CANCELLED, "n[1]", 1, StepStatus.CANCELLED), frontier[5]);

        List<RunEvent> events = RunEvents.between(before, after);
        assertThat(events.stream().map(e -> e.type().wire() + " " + e.fields().path("nodeId").asText("")).toList())
                .containsExactly("step.cancelled a", "step.cancelled b", "step.cancelled n", "step.cancelled n[1]",
                        "step.cancelled n[10]", "step.failed z", "workflow.failed ");
        assertThat(ids(events)).containsExactly("12.0", "12.1", "12.2", "12.3", "12.4", "12.5", "12.6");
        assertThat(RunEvents.between(before, after)).as("the same versions, the same events").isEqualTo(events);
    }

    @Test
    void aMapsChildrenHaveTheirOwnStepEventsAndItsCountingGivesNone() {
        NodeState map = inPhase(Phase.MAPPING, true);
        NodeState child = running("n[0]");
        NodeState counted = map.to(Phase.MAPPING).progress(Json.object().put("total", 3).put("succeeded", 1)).build();
        Run before = version(RunStatus.RUNNING, 20, map, child);
        Run after = version(RunStatus.RUNNING, 21, false, null, ended("n[0]", 1, StepStatus.COMPLETED), counted,
                pending("n[1]"));
        assertThat(types(RunEvents.between(before, after))).containsExactly("step.completed");
    }

    @Test
    void versionsThatAreNotSuccessiveGiveNoEventTwiceAndAGapGivesTheNetChangeUnderTheLaterRevision() {
        Run v4 = version(RunStatus.RUNNING, 4, running("a"));
        assertThat(RunEvents.between(v4, v4)).as("a write that kept the revision (the sweeper's)").isEmpty();
        assertThat(RunEvents.between(v4, version(RunStatus.RUNNING, 3))).as("an older version").isEmpty();

        Run v9 = version(RunStatus.PAUSED, 9, false, null, Map.of(), pending("b"));
        List<RunEvent> net = RunEvents.between(v4, v9);
        assertThat(types(net)).containsExactly("workflow.pausing");
        assertThat(ids(net)).containsExactly("9.0");
    }

    @Test
    void aRedriveOfAnEndedRunIsWorkflowRedrivenWithItsCountAndItsNodesStartAsAnyOthers() {
        Run failed = version(RunStatus.FAILED, 7, false, "node c failed", Map.of());
        Run redriven = version(RunStatus.RUNNING, 8, pending("c")).withLineage(new Run.Lineage(2, null));
        List<RunEvent> events = RunEvents.between(failed, redriven);
        assertThat(types(events)).containsExactly("workflow.redriven");
        assertThat(events.get(0).fields().get("redriveCount").asInt()).isEqualTo(2);
        assertThat(events.get(0).fields().get("status").asText()).isEqualTo("running");
        assertThat(StreamEnd.settled(failed)).isTrue();
        assertThat(StreamEnd.settled(redriven)).as("a follower is not told the end").isFalse();
        assertThat(StreamEnd.ended(redriven, 7L, false, T0)).as("the mark of the first end is behind it").isFalse();
    }

    @Test
    void theTypesAreTheIssuesListWithTheCancelledStepAndTheRedriveBesides() {
        assertThat(Arrays.stream(RunEvent.Type.values()).map(RunEvent.Type::wire).toList()).containsExactly(
                "workflow.queued", "workflow.started", "workflow.pausing", "workflow.paused", "workflow.resumed",
                "workflow.redriven", "workflow.cancelling", "workflow.cancelled", "workflow.completed", "workflow.failed", "step.started",
                "step.completed", "step.failed", "step.cancelled", "step.retry_scheduled", "approval.requested",
                "approval.decided");
    }
}
