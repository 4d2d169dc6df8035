package io.metronome.domain;

import com.github.f4b6a3.ulid.UlidCreator;

/**
 * Opaque ids: a type prefix and a ULID body (48-bit millisecond time, then randomness), lower-cased, so ids of
 * one type sort by creation time. Monotonic within a JVM, so two ids made in the same millisecond still sort.
 */
public final class Ids {
    public static final String METRONOME = "met_";
    public static final String VERSION = "ver_";
    public static final String RUN = "run_";
    public static final String STEP = "stp_";
    public static final String AUDIT = "aud_";
    public static final String TRIGGER_EVENT = "tev_";
    /** An API key's public id: names the key in lists and revocations, never authenticates. */
    public static final String API_KEY = "key_";

    private Ids() {
    }

    public static String next(String prefix) {
        return prefix + UlidCreator.getMonotonicUlid().toString().toLowerCase();
    }

    /**
     * An id that is the same every time it is made from the same time and seed: for records a retried worker
     * may write again (a skipped step), so the repeat lands on the same key instead of adding a second record.
     * It sorts by {@code time} like any other id.
     */
    public static String derived(String prefix, java.time.Instant time, String seed) {
        byte[] hash;
        try {
            hash = java.security.MessageDigest.getInstance("SHA-256").digest(seed.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return prefix + new com.github.f4b6a3.ulid.Ulid(time.toEpochMilli(), java.util.Arrays.copyOf(hash, 10))
                .toString().toLowerCase();
    }

    /** True for an id of the given type: the prefix, then 26 Crockford base32 characters. */
    public static boolean isValid(String prefix, String id) {
        return id != null && id.length() == prefix.length() + 26 && id.startsWith(prefix)
                && id.substring(prefix.length()).matches("[0-9a-hjkmnp-tv-z]{26}");
    }
}
