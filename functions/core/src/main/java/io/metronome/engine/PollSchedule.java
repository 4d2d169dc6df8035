package io.metronome.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * When a follower waiting for a run's next event reads the log again: soon at first (an event often follows the
 * last one closely), then twice as long after each empty read, up to {@code longest} between reads. Offsets from
 * the start of the wait, the read at the start not counted; none at or past the end of the wait.
 */
public record PollSchedule(Duration first, Duration longest) {
    /** 0.25 s, 0.75 s, 1.75 s, 3.75 s, then every 2 s: 12 reads after the first one in a 20 s wait. */
    public static final PollSchedule FOLLOW = new PollSchedule(Duration.ofMillis(250), Duration.ofSeconds(2));

    public PollSchedule {
        if (first.isNegative() || first.isZero() || longest.compareTo(first) < 0) {
            throw new IllegalArgumentException("a schedule waits more than nothing, and longest is at least first");
        }
    }

    public List<Duration> offsets(Duration wait) {
        List<Duration> out = new ArrayList<>();
        Duration gap = first;
        for (Duration at = first; at.compareTo(wait) < 0; at = at.plus(gap)) {
            out.add(at);
            gap = min(gap.multipliedBy(2), longest);
        }
        return out;
    }

    /** Reads in a wait of {@code wait} that sees nothing: the first one and one at each offset. */
    public int reads(Duration wait) {
        return 1 + offsets(wait).size();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
