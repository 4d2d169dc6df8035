package io.metronome.domain;

import io.metronome.domain.NodeState.Phase;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The node phases' transition table, and what a change of phase keeps. */
class NodeStateTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void finalPhasesGoNowhereAndEveryPhaseHasItsRow() {
        for (Phase p : Phase.values()) {
            assertThat(NodeState.NEXT).as(p.name()).containsKey(p);
            if (p.isFinal() && p != Phase.COMPLETED) {
                assertThat(NodeState.NEXT.get(p)).as(p + " is final").isEmpty();
            }
        }
        assertThat(NodeState.NEXT.get(Phase.COMPLETED)).containsExactly(Phase.COMPLETED); // its hand-off only
    }

    @Test
    void aMoveTheTableDoesNotAllowIsRefusedAndAnAllowedOneBumpsTheRevision() {
        NodeState pending = NodeState.pending("a", 1, NOW, null);
        NodeState done = pending.to(Phase.RUNNING).startedAt(NOW).build().to(Phase.COMPLETED).completedAt(NOW).build();

        assertThat(done.rev()).isEqualTo(pending.rev() + 2);
        assertThatThrownBy(() -> done.to(Phase.RUNNING).build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot go from COMPLETED to RUNNING");
        assertThatThrownBy(() -> pending.to(Phase.COMPLETED).build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> NodeState.joining("j", Json.object()).to(Phase.RUNNING).build())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void becomingFinalDropsProgressUnlessGivenAndANewAttemptDropsTheInput() {
        NodeState mapping = NodeState.pending("m", 1, NOW, null).to(Phase.RUNNING).build()
                .to(Phase.MAPPING).progress(Json.object().put("total", 3)).build();
        assertThat(mapping.to(Phase.COMPLETED).build().progress()).isNull();
        assertThat(mapping.to(Phase.COMPLETED).progress(Json.object()).build().progress()).isNotNull();

        NodeState ran = NodeState.pending("a", 1, NOW, null).to(Phase.RUNNING).build().withInput(Json.object().put("x", 1));
        assertThat(ran.to(Phase.FAILED).build().input()).isNotNull();
        assertThat(ran.to(Phase.PENDING).attempt(2).build().input()).as("the next attempt runs with its own").isNull();
    }
}
