package io.metronome.domain;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** A run's lifecycle status, as the API spells it. */
public enum RunStatus {
    QUEUED, RUNNING, WAITING_APPROVAL, PAUSED, COMPLETED, FAILED, CANCELLED;

    public static final Set<RunStatus> TERMINAL = EnumSet.of(COMPLETED, FAILED, CANCELLED);
    public static final Set<RunStatus> ACTIVE = EnumSet.of(QUEUED, RUNNING, WAITING_APPROVAL);

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isTerminal() {
        return TERMINAL.contains(this);
    }

    public static RunStatus fromWire(String value) {
        for (RunStatus s : values()) {
            if (s.wire().equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown run status: " + value);
    }
}
