package io.metronome.domain;

import java.util.Locale;

/** The status of one attempt of one node. */
public enum StepStatus {
    QUEUED, RUNNING, WAITING_APPROVAL, PAUSED, COMPLETED, FAILED, SKIPPED, CANCELLED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == SKIPPED || this == CANCELLED;
    }

    public static StepStatus fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
