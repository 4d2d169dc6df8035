package io.metronome.store;

import io.metronome.domain.Ids;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.testing.TestStack;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The step record's revision condition, on the real store: a late or repeated write of an older revision never
 * replaces a newer one (without the condition, a slow worker's "running" record could overwrite "completed").
 */
class StepRepositoryTest {
    private final TestStack stack = TestStack.get();
    private final StepRepository steps = new StepRepository(stack.dynamo, stack.tables);

    private static Step step(String runId, String stepId, StepStatus status, long rev) {
        return step(runId, stepId, status, rev, null);
    }

    private static Step step(String runId, String stepId, StepStatus status, long rev, String afterRunEnded) {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        return new Step(stepId, runId, "met_00000000000000000000000001", "a", "transform", status, 1, null, null, null,
                null, null, now, status == StepStatus.COMPLETED ? now : null, now, now, rev, afterRunEnded);
    }

    @Test
    void anOlderRevisionNeverReplacesANewerOne() {
        String runId = Ids.next(Ids.RUN);
        String stepId = Ids.next(Ids.STEP);
        assertThat(steps.record(step(runId, stepId, StepStatus.RUNNING, 2))).isTrue();
        assertThat(steps.record(step(runId, stepId, StepStatus.COMPLETED, 3))).isTrue();

        assertThat(steps.record(step(runId, stepId, StepStatus.RUNNING, 2))).as("a late write").isFalse();
        assertThat(steps.record(step(runId, stepId, StepStatus.COMPLETED, 3))).as("a repeated write").isFalse();

        assertThat(steps.listByRun(runId)).singleElement().satisfies(s -> {
            assertThat(s.status()).isEqualTo(StepStatus.COMPLETED);
            assertThat(s.rev()).isEqualTo(3);
        });
    }

    @Test
    void theFlagThatTheRunHadEndedIsAddedToTheSameRevisionOnceAndNeverTakenAway() {
        String runId = Ids.next(Ids.RUN);
        String stepId = Ids.next(Ids.STEP);
        assertThat(steps.record(step(runId, stepId, StepStatus.COMPLETED, 3))).as("recorded before the cancel was known").isTrue();

        assertThat(steps.record(step(runId, stepId, StepStatus.COMPLETED, 3, "cancelled"))).as("flagged").isTrue();
        assertThat(steps.record(step(runId, stepId, StepStatus.COMPLETED, 3, "cancelled"))).as("flagged again").isFalse();
        assertThat(steps.record(step(runId, stepId, StepStatus.COMPLETED, 3))).as("unflagged again").isFalse();
        assertThat(steps.record(step(runId, stepId, StepStatus.RUNNING, 2, "cancelled"))).as("an older revision").isFalse();

        assertThat(steps.find(runId, stepId)).get().satisfies(s -> {
            assertThat(s.afterRunEnded()).isEqualTo("cancelled");
            assertThat(s.rev()).isEqualTo(3);
        });
        assertThat(steps.summaries(runId)).singleElement().extracting(Step::afterRunEnded).isEqualTo("cancelled");

        String lost = Ids.next(Ids.STEP);
        assertThat(steps.record(step(runId, lost, StepStatus.FAILED, 4))).as("a takeover's verdict: lost").isTrue();
        assertThat(steps.record(step(runId, lost, StepStatus.COMPLETED, 4, "cancelled")))
                .as("the slow attempt's own outcome, flagged, does not replace another outcome").isFalse();
        assertThat(steps.find(runId, lost)).get().extracting(Step::status).isEqualTo(StepStatus.FAILED);
    }
}
