package io.metronome.store;

import java.util.Map;
import java.util.function.Function;

/**
 * The DynamoDB table names, from environment variables set by the template (RUNS_TABLE, STEPS_TABLE, ...).
 * The keys, indexes and access patterns of each table are described in infra/dynamodb.md.
 */
public record Tables(String runs, String steps, String auditEvents, String triggerEvents, String metronomes,
                     String versions, String idempotency, String apiKeys) {

    public static final String RUNS_BY_METRONOME = "byMetronome";
    public static final String RUNS_BY_METRONOME_STATUS = "byMetronomeStatus";
    /**
     * Sparse: runs not yet left behind by the sweeper, by the time it is to look at them next ({@code sweepShard},
     * {@code sweepAt}).
     */
    public static final String RUNS_BY_SWEEP = "bySweep";
    public static final String METRONOMES_BY_USER = "byUser";
    /** A user's API keys, by key id (so by creation). */
    public static final String API_KEYS_BY_USER = "byUser";
    /** Sparse: only metronomes with a schedule trigger, by next fire time. */
    public static final String METRONOMES_BY_NEXT_FIRE = "byNextFire";
    /** Sparse: only metronomes with an event trigger, by the event source they listen to. */
    public static final String METRONOMES_BY_EVENT_SOURCE = "byEventSource";
    /** The one partition of {@link #METRONOMES_BY_NEXT_FIRE}. */
    public static final String SCHEDULED = "scheduled";

    public static Tables fromEnvironment(Function<String, String> env) {
        return new Tables(required(env, "RUNS_TABLE"), required(env, "STEPS_TABLE"), required(env, "AUDIT_TABLE"),
                required(env, "TRIGGER_EVENTS_TABLE"), required(env, "METRONOMES_TABLE"),
                required(env, "VERSIONS_TABLE"), required(env, "IDEMPOTENCY_TABLE"), required(env, "API_KEYS_TABLE"));
    }

    /** Names for a local stack or a test, all sharing a prefix. */
    public static Tables withPrefix(String prefix) {
        return new Tables(prefix + "runs", prefix + "steps", prefix + "audit-events", prefix + "trigger-events",
                prefix + "metronomes", prefix + "versions", prefix + "idempotency", prefix + "api-keys");
    }

    public Map<String, String> asEnvironment() {
        return Map.of("RUNS_TABLE", runs, "STEPS_TABLE", steps, "AUDIT_TABLE", auditEvents,
                "TRIGGER_EVENTS_TABLE", triggerEvents, "METRONOMES_TABLE", metronomes, "VERSIONS_TABLE", versions,
                "IDEMPOTENCY_TABLE", idempotency, "API_KEYS_TABLE", apiKeys);
    }

    private static String required(Function<String, String> env, String name) {
        String value = env.apply(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return value;
    }
}
