package io.metronome.engine;

import io.metronome.domain.Json;
import io.metronome.store.BulkJobRepository.Job;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** When the sweeper sends a stuck bulk job's page again: after one bound, then backing off, without storage. */
class BulkJobResendTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Duration BOUND = Duration.ofSeconds(660);

    private static Job job(String status, int resends) {
        return new Job("blk_x", "u", "cancel", Json.object(), status, 3, 3, "c", Map.of(), T0, null, T0, resends);
    }

    @Test
    void aJobThatHasNotMovedForTheBoundIsStale() {
        assertThat(BulkJobs.stale(job("running", 0), T0.plus(BOUND).minusMillis(1), BOUND)).isFalse();
        assertThat(BulkJobs.stale(job("running", 0), T0.plus(BOUND), BOUND)).isTrue();
        assertThat(BulkJobs.stale(job("completed", 0), T0.plus(Duration.ofDays(9)), BOUND)).isFalse();
    }

    @Test
    void eachResendWithoutProgressDoublesTheWaitUpToADay() {
        assertThat(BulkJobs.stale(job("running", 1), T0.plus(BOUND), BOUND)).isFalse();
        assertThat(BulkJobs.stale(job("running", 1), T0.plus(BOUND.multipliedBy(2)), BOUND)).isTrue();
        assertThat(BulkJobs.stale(job("running", 3), T0.plus(BOUND.multipliedBy(8)).minusMillis(1), BOUND)).isFalse();
        assertThat(BulkJobs.stale(job("running", 3), T0.plus(BOUND.multipliedBy(8)), BOUND)).isTrue();
        assertThat(BulkJobs.stale(job("running", 40), T0.plus(BulkJobs.MAX_RESEND_WAIT).minusMillis(1), BOUND)).isFalse();
        assertThat(BulkJobs.stale(job("running", 40), T0.plus(BulkJobs.MAX_RESEND_WAIT), BOUND)).isTrue();
    }
}
