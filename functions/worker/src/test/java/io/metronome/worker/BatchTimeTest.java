package io.metronome.worker;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class BatchTimeTest {
    private final BatchTime time = new BatchTime(Duration.ofSeconds(90));

    @Test
    void theFirstMessageAlwaysStartsHoweverLittleTimeIsLeft() {
        assertThat(time.mayStart(0, 0)).isTrue();
        assertThat(time.mayStart(0, 1)).isTrue();
    }

    @Test
    void aFurtherMessageStartsOnlyWithTheTimeOneMessageMayTakeStillLeft() {
        assertThat(time.mayStart(1, 90_000)).isTrue();
        assertThat(time.mayStart(1, 89_999)).isFalse();
        assertThat(time.mayStart(9, 89_999)).isFalse();
        assertThat(time.mayStart(9, 600_000)).isTrue();
    }
}
