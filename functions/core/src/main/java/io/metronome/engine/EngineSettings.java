package io.metronome.engine;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Function;

/**
 * @param workerId who holds a lease (written to {@code lockedBy})
 * @param lease how long a claimed node is a worker's before another may take it over; keep it longer than the
 *              longest node and shorter than the queue's visibility timeout
 * @param defaultMaxAttempts attempts per node when neither the node nor the metronome says
 * @param sweep when the sweeper looks at runs and re-sends their messages
 * @param maxRedrives how many times one run may be redriven ({@code MAX_REDRIVES})
 */
public record EngineSettings(String workerId, Duration lease, int defaultMaxAttempts, SweepSettings sweep,
                             int maxRedrives) {
    /**
     * Redrives per run unless {@code MAX_REDRIVES} says otherwise. Step Functions allows 1000; a redrive here
     * reads every step record of the run to find where it stopped, and a run failing again and again is one to
     * fix rather than to push: ten is plenty for flaky dependencies and keeps a stuck loop visible.
     */
    public static final int DEFAULT_MAX_REDRIVES = 10;

    public EngineSettings(String workerId, Duration lease, int defaultMaxAttempts, SweepSettings sweep) {
        this(workerId, lease, defaultMaxAttempts, sweep, DEFAULT_MAX_REDRIVES);
    }

    public EngineSettings(String workerId, Duration lease, int defaultMaxAttempts) {
        this(workerId, lease, defaultMaxAttempts, SweepSettings.DEFAULTS);
    }

    public static EngineSettings fromEnvironment(Function<String, String> env) {
        String stream = env.apply("AWS_LAMBDA_LOG_STREAM_NAME");
        String id = "worker-" + (stream != null ? stream : UUID.randomUUID().toString());
        String lease = env.apply("NODE_LEASE_SECONDS");
        String redrives = env.apply("MAX_REDRIVES");
        return new EngineSettings(id, Duration.ofSeconds(lease == null ? 300 : Long.parseLong(lease)), 3,
                SweepSettings.fromEnvironment(env),
                redrives == null || redrives.isBlank() ? DEFAULT_MAX_REDRIVES : Integer.parseInt(redrives));
    }
}
