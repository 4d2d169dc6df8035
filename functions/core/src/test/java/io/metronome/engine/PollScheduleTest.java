package io.metronome.engine;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PollScheduleTest {
    private static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }

    @Test
    void readsSoonThenBacksOffToEveryTwoSecondsAndNeverAtOrPastTheEndOfTheWait() {
        assertThat(PollSchedule.FOLLOW.offsets(Duration.ofSeconds(20))).containsExactly(ms(250), ms(750), ms(1750),
                ms(3750), ms(5750), ms(7750), ms(9750), ms(11750), ms(13750), ms(15750), ms(17750), ms(19750));
        assertThat(PollSchedule.FOLLOW.reads(Duration.ofSeconds(20))).as("an idle 20 s wait").isEqualTo(13);
        assertThat(PollSchedule.FOLLOW.reads(Duration.ofSeconds(25))).as("the longest wait").isEqualTo(15);
        assertThat(PollSchedule.FOLLOW.offsets(ms(750))).as("750 ms is the end, not a read").containsExactly(ms(250));
        assertThat(PollSchedule.FOLLOW.offsets(Duration.ZERO)).isEmpty();
        assertThat(PollSchedule.FOLLOW.reads(Duration.ZERO)).as("wait=0: one read, at once").isEqualTo(1);
    }

    @Test
    void aScheduleWaitsSomethingAndItsLongestGapIsNoShorterThanItsFirst() {
        assertThatThrownBy(() -> new PollSchedule(Duration.ZERO, ms(10))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PollSchedule(ms(10), ms(5))).isInstanceOf(IllegalArgumentException.class);
        assertThat(new PollSchedule(ms(100), ms(100)).offsets(ms(350))).isEqualTo(List.of(ms(100), ms(200), ms(300)));
    }
}
