package io.metronome.cli;

import io.metronome.domain.RunStatus;
import io.metronome.engine.NodeMessage.Kind;
import org.junit.jupiter.api.Test;

import static io.metronome.cli.RedriveDecision.Action.DROP;
import static io.metronome.cli.RedriveDecision.Action.KEEP;
import static io.metronome.cli.RedriveDecision.Action.REDRIVE;
import static org.assertj.core.api.Assertions.assertThat;

class RedriveDecisionTest {
    @Test
    void nodeAndDeadlineMessagesGoBackWhileTheRunIsLiveAndAreDroppedOnceItHasEnded() {
        for (Kind kind : new Kind[]{Kind.NODE, Kind.DEADLINE, Kind.SCHEDULE}) {
            for (RunStatus live : new RunStatus[]{RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.WAITING_APPROVAL, RunStatus.PAUSED}) {
                assertThat(RedriveDecision.decide(kind, live, false)).isEqualTo(new RedriveDecision.Outcome(REDRIVE, "redriven"));
            }
            assertThat(RedriveDecision.decide(kind, RunStatus.COMPLETED, false))
                    .isEqualTo(new RedriveDecision.Outcome(DROP, "dropped: run completed"));
            assertThat(RedriveDecision.decide(kind, RunStatus.CANCELLED, true).text()).isEqualTo("dropped: run cancelled");
            assertThat(RedriveDecision.decide(kind, RunStatus.FAILED, false).text()).isEqualTo("dropped: run failed");
        }
    }

    @Test
    void closingAnEndedRunGoesBackUntilItIsClosedAndStoppingWorkElsewhereAlwaysDoes() {
        assertThat(RedriveDecision.decide(Kind.CLOSE, RunStatus.CANCELLED, false).action()).isEqualTo(REDRIVE);
        assertThat(RedriveDecision.decide(Kind.CLOSE, RunStatus.CANCELLED, true))
                .isEqualTo(new RedriveDecision.Outcome(DROP, "dropped: run cancelled"));
        assertThat(RedriveDecision.decide(Kind.STOP, RunStatus.CANCELLED, true).action()).isEqualTo(REDRIVE);
    }

    @Test
    void aMessageForNoRunIsKept() {
        for (Kind kind : Kind.values()) {
            assertThat(RedriveDecision.decide(kind, null, false)).isEqualTo(new RedriveDecision.Outcome(KEEP, "kept: run not found"));
        }
    }
}
