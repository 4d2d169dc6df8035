package io.metronome.engine;

import io.metronome.domain.Json;
import io.metronome.domain.NodeState;
import io.metronome.domain.NodeState.Phase;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.store.RunRepository;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What the sweeper does with a run it finds due, over every node phase and run status, without storage or a queue. */
class SweepTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Duration GRACE = Duration.ofMinutes(5);
    private static final Duration STALE = Duration.ofMinutes(4);
    private static final Duration IDLE = Duration.ofHours(1);
    private static final SweepSettings SETTINGS = new SweepSettings(STALE, GRACE, IDLE);

    /** A run last changed at {@code updatedAt}. */
    private static Run run(RunStatus status, Instant updatedAt, NodeState... nodes) {
        return run(status, updatedAt, null, null, false, null, nodes);
    }

    private static Run run(RunStatus status, Instant updatedAt, Instant deadline, Instant completedAt, boolean closed,
                           String lastNodeId, NodeState... nodes) {
        Map<String, NodeState> frontier = new LinkedHashMap<>();
        for (NodeState n : nodes) {
            frontier.put(n.nodeId(), n);
        }
        return new Run("run_x", "met_m", "u", "manual", "ver_v", null, null, status, null, null, null, T0, T0,
                null, null, null, 1, 3, 0, null, null, completedAt, T0, updatedAt, null, deadline, 7, frontier,
                new Run.Summary(0, Map.of(), 0, 0, List.of(), List.of(), 0, 0, 0), lastNodeId, false, closed);
    }

    /** A node in a phase, every time it carries at {@code at}: queued, leased until, due. */
    private static NodeState node(String id, Phase phase, Instant at) {
        NodeState pending = NodeState.pending(id, 1, at, null);
        NodeState running = pending.to(Phase.RUNNING).lease("w", at).startedAt(at).build();
        return switch (phase) {
            case PENDING -> pending;
            case RUNNING -> running;
            case WAITING -> running.to(Phase.WAITING).dueAt(at).lease(null, null).build();
            case WAITING_APPROVAL -> running.to(Phase.WAITING_APPROVAL).lease(null, null).build();
            case DECIDED -> running.to(Phase.WAITING_APPROVAL).lease(null, null).build().to(Phase.DECIDED)
                    .decision(Json.object().put("approved", true)).build();
            case PAUSED -> pending.to(Phase.PAUSED).build();
            case MAPPING -> running.to(Phase.MAPPING).lease(null, null).build();
            case COMPLETED -> running.to(Phase.COMPLETED).completedAt(at).lease(null, null).progress(Json.object()).build();
            case JOINING -> NodeState.joining(id, Json.object());
            case FAILED, SKIPPED, CANCELLED -> throw new IllegalArgumentException("final nodes are off the run item");
        };
    }

    private static Sweep at(Run run, Instant now) {
        return Sweep.decide(run, now, SETTINGS);
    }

    private static List<String> nodes(Sweep s) {
        return s.messages().stream().map(m -> m.kind() == NodeMessage.Kind.NODE ? m.nodeId() : m.kind().name()).toList();
    }

    private static final Set<Phase> ON_THE_ITEM = EnumSet.complementOf(EnumSet.of(Phase.FAILED, Phase.SKIPPED, Phase.CANCELLED));

    /** Phases whose node the sweeper moves on, in a run that is not paused, once they are overdue. */
    private static final Set<Phase> MOVED = EnumSet.of(Phase.PENDING, Phase.RUNNING, Phase.WAITING, Phase.DECIDED,
            Phase.MAPPING, Phase.COMPLETED, Phase.PAUSED);

    @Test
    void everyPhaseInEveryLiveStatusWaitsOutItsGraceThenIsSentOnceAndLookedAtAgainAStaleAfterLater() {
        for (RunStatus status : EnumSet.complementOf(EnumSet.copyOf(RunStatus.TERMINAL))) {
            for (Phase phase : ON_THE_ITEM) {
                Run run = run(status, T0, node("n", phase, T0));
                String what = phase + " in a " + status.wire() + " run";

                Sweep early = at(run, T0.plus(GRACE).minusMillis(1));
                assertThat(early.messages()).as(what + ", within its grace").isEmpty();
                assertThat(early.next()).as(what + ": looked at again").isNotNull()
                        .isAfter(T0.plus(GRACE).minusMillis(1)).isBeforeOrEqualTo(T0.plus(GRACE).minusMillis(1).plus(IDLE));

                Instant late = T0.plus(GRACE);
                Sweep overdue = at(run, late);
                boolean parkedInPausedRun = phase == Phase.PAUSED && status == RunStatus.PAUSED;
                boolean sent = MOVED.contains(phase) && !parkedInPausedRun;
                assertThat(nodes(overdue)).as(what + ", overdue").isEqualTo(sent ? List.of("n") : List.of());
                assertThat(overdue.next()).as(what + ": next visit")
                        .isEqualTo(late.plus(sent ? STALE : IDLE));
                if (sent) {
                    assertThat(overdue.messages().get(0)).as(what + ": the message Recovery derives")
                            .isEqualTo(Recovery.messagesFor(run).get(0));
                }
            }
        }
    }

    @Test
    void eachPhaseIsDueFromItsOwnMoment() {
        Instant lease = T0.plus(Duration.ofMinutes(2));
        Run held = run(RunStatus.RUNNING, T0, node("n", Phase.RUNNING, lease));
        assertThat(at(held, lease.plus(GRACE).minusMillis(1)).messages()).as("a lease, until it is over").isEmpty();
        assertThat(at(held, T0).next()).isEqualTo(lease.plus(GRACE));
        NodeMessage takeOver = at(held, lease.plus(GRACE)).messages().get(0);
        assertThat(takeOver.notBefore()).as("delivered once the lease is over").isEqualTo(lease.plusSeconds(1));

        Instant due = T0.plus(Duration.ofHours(3));
        Run delay = run(RunStatus.RUNNING, T0, node("n", Phase.WAITING, due));
        assertThat(at(delay, due.plus(GRACE).minusMillis(1)).messages()).isEmpty();
        assertThat(nodes(at(delay, due.plus(GRACE)))).containsExactly("n");
        assertThat(at(delay, T0).next()).as("a long wait is looked at once an idle interval").isEqualTo(T0.plus(IDLE));

        // A frozen delay set before its run's 20 minutes paused is due 20 minutes later than it first said
        NodeState frozen = node("n", Phase.RUNNING, T0).to(Phase.WAITING).dueAt(due).lease(null, null).metadata(Json.object()
                .put("dueAt", io.metronome.domain.Times.format(due)).put("onPause", "freeze").put("runPausedMs", 0)).build();
        Run resumed = run(RunStatus.RUNNING, T0, frozen).withPause(new Run.Pause(null, 20 * 60_000, null));
        Instant frozenDue = due.plus(Duration.ofMinutes(20));
        assertThat(at(resumed, frozenDue.plus(GRACE).minusMillis(1)).messages()).isEmpty();
        NodeMessage wake = at(resumed, frozenDue.plus(GRACE)).messages().get(0);
        assertThat(wake.notBefore()).isEqualTo(frozenDue);

        Instant retryAt = T0.plus(Duration.ofMinutes(10));
        NodeState retry = NodeState.pending("n", 2, T0, retryAt);
        Run retrying = run(RunStatus.RUNNING, T0, retry);
        assertThat(at(retrying, T0.plus(GRACE)).messages()).as("a retry waits for its time").isEmpty();
        assertThat(at(retrying, T0).next()).isEqualTo(retryAt.plus(GRACE));
        assertThat(at(retrying, retryAt.plus(GRACE)).messages()).containsExactly(NodeMessage.node("run_x", "n", 2, retryAt));
    }

    @Test
    void aStrandedBranchOfABusyRunIsFoundWhileTheOtherBranchGoesOn() {
        Instant longAgo = T0.minus(Duration.ofHours(1));
        Run busy = run(RunStatus.RUNNING, T0, node("lost", Phase.PENDING, longAgo), node("other", Phase.RUNNING, T0.plusSeconds(60)));
        assertThat(nodes(at(busy, T0))).containsExactly("lost");

        Run decided = run(RunStatus.RUNNING, T0.minusSeconds(30), node("a", Phase.DECIDED, longAgo));
        assertThat(at(decided, T0).messages()).as("changed 30 s ago: its message may be on its way").isEmpty();
        assertThat(at(decided, T0).next()).isEqualTo(T0.minusSeconds(30).plus(GRACE));
    }

    @Test
    void nodesWaitingOnAPersonOrOnOtherNodesNeedNothingAndAreLookedAtOnceAnIdleInterval() {
        Instant longAgo = T0.minus(Duration.ofDays(3));
        Run approval = run(RunStatus.WAITING_APPROVAL, longAgo, node("ok", Phase.WAITING_APPROVAL, longAgo),
                node("join", Phase.JOINING, longAgo));
        Sweep s = at(approval, T0);
        assertThat(s.messages()).isEmpty();
        assertThat(s.next()).isEqualTo(T0.plus(IDLE));

        Run paused = run(RunStatus.PAUSED, longAgo, node("parked", Phase.PAUSED, longAgo));
        assertThat(at(paused, T0).messages()).as("resume sends it").isEmpty();
        assertThat(at(paused, T0).next()).isEqualTo(T0.plus(IDLE));
    }

    @Test
    void aMapWithActiveChildrenIsMovedOnByThem() {
        Instant longAgo = T0.minus(Duration.ofHours(1));
        Run mapping = run(RunStatus.RUNNING, longAgo, node("m", Phase.MAPPING, longAgo),
                node("m[0]", Phase.WAITING, T0.plus(Duration.ofMinutes(1))));
        assertThat(at(mapping, T0).messages()).isEmpty();
        assertThat(at(mapping, T0).next()).isEqualTo(T0.plus(Duration.ofMinutes(1)).plus(GRACE));
        Run childless = run(RunStatus.RUNNING, longAgo, node("m", Phase.MAPPING, longAgo));
        assertThat(nodes(at(childless, T0))).as("its last child ended, the map did not").containsExactly("m");
    }

    @Test
    void aTimeoutIsCheckedAGraceAfterItsDeadline() {
        Instant deadline = T0.plus(Duration.ofMinutes(30));
        Run approval = run(RunStatus.WAITING_APPROVAL, T0, deadline, null, false, null, node("ok", Phase.WAITING_APPROVAL, T0));
        assertThat(at(approval, T0).next()).isEqualTo(deadline.plus(GRACE));
        assertThat(at(approval, deadline.plus(GRACE)).messages()).containsExactly(NodeMessage.deadline("run_x", deadline));
    }

    @Test
    void aRunWhoseNodesAreAllDoneButThatNeverEndedIsFinished() {
        Run run = run(RunStatus.RUNNING, T0, null, null, false, "last");
        assertThat(at(run, T0).messages()).isEmpty();
        Sweep late = at(run, T0.plus(GRACE));
        assertThat(late.messages()).hasSize(1);
        NodeMessage m = late.messages().get(0);
        assertThat(m.kind()).isEqualTo(NodeMessage.Kind.NODE);
        assertThat(m.nodeId()).as("a node off the run item: the worker replays the run's end").isEqualTo("last");
    }

    @Test
    void anEndedRunLeavesTheIndexOnceNothingOfItIsLeft() {
        Instant end = T0;
        assertThat(at(run(RunStatus.COMPLETED, end, null, end, false, "x"), end).leavesIndex()).isTrue();
        assertThat(at(run(RunStatus.FAILED, end, null, end, true, "x"), end).leavesIndex()).as("closed").isTrue();
        assertThat(at(run(RunStatus.CANCELLED, end, null, end, true, null), end).leavesIndex()).isTrue();

        Run unclosed = run(RunStatus.CANCELLED, end, null, end, false, null);
        assertThat(at(unclosed, end).leavesIndex()).isFalse();
        assertThat(at(unclosed, end).messages()).isEmpty();
        assertThat(at(unclosed, end.plus(GRACE)).messages()).containsExactly(NodeMessage.closeRun("run_x"));
        assertThat(at(unclosed, end.plus(Sweep.ENDED_HORIZON).plusMillis(1)).leavesIndex())
                .as("still not closed a day later: let go").isTrue();

        Instant lease = end.plusSeconds(60);
        Run stillHeld = run(RunStatus.COMPLETED, end, null, end, false, "x", node("slow", Phase.RUNNING, lease),
                node("left", Phase.PENDING, end));
        assertThat(at(stillHeld, end).leavesIndex()).isFalse();
        assertThat(nodes(at(stillHeld, lease.plus(GRACE)))).as("the held node taken over, the rest cancelled by the close")
                .containsExactly("slow", "CLOSE");
    }

    @Test
    void theSettingsComeFromTheEnvironmentAndABadValueIsRefusedByName() {
        assertThat(SweepSettings.fromEnvironment(Map.of("SWEEP_STALE_AFTER_SECONDS", "60", "SWEEP_GRACE_SECONDS", "90")::get))
                .isEqualTo(new SweepSettings(Duration.ofSeconds(60), Duration.ofSeconds(90), SweepSettings.DEFAULTS.idle()));
        assertThat(SweepSettings.fromEnvironment(Map.<String, String>of()::get)).isEqualTo(SweepSettings.DEFAULTS);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SweepSettings.fromEnvironment(
                Map.of("SWEEP_GRACE_SECONDS", "five minutes")::get)).hasMessageContaining("SWEEP_GRACE_SECONDS");
    }

    @Test
    void theNextVisitIsTheEarliestMomentAnythingBecomesOverdueAndNeverPastAnIdleInterval() {
        Run run = run(RunStatus.RUNNING, T0, node("a", Phase.RUNNING, T0.plus(Duration.ofMinutes(7))),
                node("b", Phase.WAITING, T0.plus(Duration.ofMinutes(3))), node("c", Phase.WAITING_APPROVAL, T0));
        assertThat(at(run, T0).next()).isEqualTo(T0.plus(Duration.ofMinutes(3)).plus(GRACE));

        Run stranded = run(RunStatus.RUNNING, T0, node("a", Phase.PENDING, T0),
                node("b", Phase.WAITING, T0.plus(Duration.ofMinutes(30))));
        Instant now = T0.plus(GRACE);
        Sweep s = at(stranded, now);
        assertThat(nodes(s)).containsExactly("a");
        assertThat(s.next()).as("sent now: looked at again a staleAfter later, in case the send fails")
                .isEqualTo(now.plus(STALE));
    }

    // ---------------------------------------------------------------- backing off from a run that does not change

    private static final long REV = 7;

    /** A ready node queued long ago and still waiting in the queue: overdue at every visit while the run stays as it is. */
    private static Run waitingInTheQueue() {
        Run run = run(RunStatus.RUNNING, T0, node("n", Phase.PENDING, T0));
        assertThat(run.rev()).isEqualTo(REV);
        return run;
    }

    @Test
    void aFirstSendIsLookedAtAgainAStaleAfterLaterAndRecordedAsOneSendAtTheRunsRevision() {
        Instant now = T0.plus(GRACE);
        Sweep s = Sweep.decide(waitingInTheQueue(), RunRepository.Resent.NEVER, now, SETTINGS);
        assertThat(nodes(s)).containsExactly("n");
        assertThat(s.next()).isEqualTo(now.plus(STALE));
        assertThat(s.resent()).isEqualTo(new RunRepository.Resent(1, REV));
        assertThat(at(waitingInTheQueue(), now)).as("the three-argument form: never sent before").isEqualTo(s);
    }

    @Test
    void sendsInARowToARunThatDoesNotChangeAreEachTwiceAsFarApartUpToAnIdleInterval() {
        Run run = waitingInTheQueue();
        RunRepository.Resent resent = RunRepository.Resent.NEVER;
        Instant now = T0.plus(GRACE);
        List<Duration> gaps = new ArrayList<>();
        for (int visit = 1; visit <= 8; visit++) {
            Sweep s = Sweep.decide(run, resent, now, SETTINGS);
            assertThat(nodes(s)).as("visit " + visit + ": still overdue, sent").containsExactly("n");
            assertThat(s.resent()).isEqualTo(new RunRepository.Resent(visit, REV));
            gaps.add(Duration.between(now, s.next()));
            resent = s.resent();
            now = s.next();
        }
        assertThat(gaps).containsExactly(STALE, STALE.multipliedBy(2), STALE.multipliedBy(4), STALE.multipliedBy(8),
                IDLE, IDLE, IDLE, IDLE); // 4, 8, 16, 32 minutes, then 64 capped at an hour
    }

    @Test
    void theBackOffIsCappedAtTheIdleIntervalHoweverLongTheRunStaysStuck() {
        assertThat(Sweep.backoff(SETTINGS, 0)).isEqualTo(STALE);
        assertThat(Sweep.backoff(SETTINGS, 3)).isEqualTo(STALE.multipliedBy(8));
        assertThat(Sweep.backoff(SETTINGS, 4)).isEqualTo(IDLE);
        assertThat(Sweep.backoff(SETTINGS, Integer.MAX_VALUE)).as("no overflow").isEqualTo(IDLE);
        Instant now = T0.plus(Duration.ofDays(30));
        Sweep s = Sweep.decide(waitingInTheQueue(), new RunRepository.Resent(5_000, REV), now, SETTINGS);
        assertThat(s.next()).isEqualTo(now.plus(IDLE));
        assertThat(s.resent()).isEqualTo(new RunRepository.Resent(5_001, REV));
    }

    @Test
    void aRunThatChangedSinceTheLastSendStartsItsCountAgain() {
        Run moved = waitingInTheQueue().withRev(REV + 1);
        Instant now = T0.plus(GRACE);
        Sweep s = Sweep.decide(moved, new RunRepository.Resent(6, REV), now, SETTINGS);
        assertThat(nodes(s)).containsExactly("n");
        assertThat(s.next()).as("as for a first send").isEqualTo(now.plus(STALE));
        assertThat(s.resent()).isEqualTo(new RunRepository.Resent(1, REV + 1));
        assertThat(Sweep.resentInARow(moved, new RunRepository.Resent(6, REV))).isZero();
        assertThat(Sweep.resentInARow(moved, new RunRepository.Resent(6, REV + 1))).isEqualTo(6);
    }

    @Test
    void aVisitThatSendsNothingRecordsNothingAndTheBackOffNeverDelaysWhatBecomesOverdueSooner() {
        Sweep early = Sweep.decide(waitingInTheQueue(), new RunRepository.Resent(3, REV), T0, SETTINGS);
        assertThat(early.messages()).isEmpty();
        assertThat(early.resent()).as("the count is left as it is").isNull();
        assertThat(early.next()).isEqualTo(T0.plus(GRACE));

        // Backed off an hour for the stuck node, the run's timeout still is checked a grace after its deadline.
        Instant deadline = T0.plus(Duration.ofMinutes(30));
        Run withTimeout = run(RunStatus.RUNNING, T0, deadline, null, false, null, node("n", Phase.PENDING, T0));
        Instant now = T0.plus(GRACE);
        Sweep s = Sweep.decide(withTimeout, new RunRepository.Resent(4, REV), now, SETTINGS);
        assertThat(nodes(s)).containsExactly("n");
        assertThat(s.next()).isEqualTo(deadline.plus(GRACE));
        Sweep atDeadline = Sweep.decide(withTimeout, s.resent(), s.next(), SETTINGS);
        assertThat(nodes(atDeadline)).as("everything overdue goes together").containsExactly("n", "DEADLINE");
        assertThat(atDeadline.resent()).isEqualTo(new RunRepository.Resent(6, REV));
    }
}
