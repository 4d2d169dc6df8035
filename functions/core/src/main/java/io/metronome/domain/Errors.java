package io.metronome.domain;

/** Which {@code Error}s a handler or the worker may turn into a failed request, attempt or delivery. */
public final class Errors {
    private Errors() {
    }

    /**
     * The JVM's own breakdowns (an internal error, an unknown one, a thread being killed) are fatal: nothing after
     * them can be trusted. A stack overflow or an allocation too large for the heap only ends what was running:
     * the stack is unwound and the failed allocation never happened. Anything else (the library's own {@code new
     * Error(...)}, a linkage error) is a failure of the work at hand.
     */
    @SuppressWarnings("deprecation")
    public static boolean isFatal(Throwable e) {
        if (e instanceof StackOverflowError || e instanceof OutOfMemoryError) {
            return false;
        }
        return e instanceof VirtualMachineError || e instanceof ThreadDeath;
    }
}
