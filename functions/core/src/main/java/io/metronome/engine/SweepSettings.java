package io.metronome.engine;

import java.time.Duration;
import java.util.function.Function;

/**
 * How the sweeper treats the runs in its index ({@link Sweep}).
 *
 * @param staleAfter how long after a run starts, is resumed, decided or cancelled, or was sent messages by the
 *                   sweeper, the sweeper looks at it: by then what was sent has been acted on, or was lost
 * @param grace how long past the moment a message was due (a node ready, a lease or a delay over, a change made)
 *              the sweeper waits before it sends the message again; longer than a message may take on its way
 *              (the queue's backlog, a dead worker's message coming back after its visibility timeout)
 * @param idle how long the sweeper leaves a run alone that waits on nothing it could send (an approval, a pause)
 */
public record SweepSettings(Duration staleAfter, Duration grace, Duration idle) {
    /** The template's (its Globals environment is where the figures are decided; TemplateTest holds these to them). */
    public static final SweepSettings DEFAULTS = new SweepSettings(Duration.ofSeconds(660), Duration.ofSeconds(660),
            Duration.ofHours(1));

    public SweepSettings {
        if (staleAfter.isNegative() || staleAfter.isZero() || grace.isNegative() || idle.compareTo(staleAfter) < 0) {
            throw new IllegalArgumentException("sweep settings need staleAfter > 0, grace >= 0 and idle >= staleAfter");
        }
    }

    public static SweepSettings fromEnvironment(Function<String, String> env) {
        return new SweepSettings(
                seconds("SWEEP_STALE_AFTER_SECONDS", env.apply("SWEEP_STALE_AFTER_SECONDS"), DEFAULTS.staleAfter),
                seconds("SWEEP_GRACE_SECONDS", env.apply("SWEEP_GRACE_SECONDS"), DEFAULTS.grace), DEFAULTS.idle);
    }

    private static Duration seconds(String name, String value, Duration otherwise) {
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        try {
            return Duration.ofSeconds(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalStateException("environment variable " + name + " must be a number of seconds, not '" + value + "'");
        }
    }
}
