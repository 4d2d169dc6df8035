package io.metronome.store;

import io.metronome.domain.Run;

/**
 * A conditional write to a run was refused: the run is not in the state the write required. Carries the run as
 * it is now (from ReturnValuesOnConditionCheckFailure, so no second read), or null if it does not exist.
 */
public final class RunConflict extends RuntimeException {
    private final transient Run current;

    public RunConflict(Run current) {
        super("run " + (current == null ? "(missing)" : current.id() + " is " + current.status().wire())
                + ": the write's condition did not hold", null, false, false);
        this.current = current;
    }

    public Run current() {
        return current;
    }
}
