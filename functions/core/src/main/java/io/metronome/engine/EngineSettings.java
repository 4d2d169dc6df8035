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
 */
public record EngineSettings(String workerId, Duration lease, int defaultMaxAttempts, SweepSettings sweep) {

    public EngineSettings(String workerId, Duration lease, int defaultMaxAttempts) {
        this(workerId, lease, defaultMaxAttempts, SweepSettings.DEFAULTS);
    }

    public static EngineSettings fromEnvironment(Function<String, String> env) {
        String stream = env.apply("AWS_LAMBDA_LOG_STREAM_NAME");
        String id = "worker-" + (stream != null ? stream : UUID.randomUUID().toString());
        String lease = env.apply("NODE_LEASE_SECONDS");
        return new EngineSettings(id, Duration.ofSeconds(lease == null ? 300 : Long.parseLong(lease)), 3,
                SweepSettings.fromEnvironment(env));
    }
}
