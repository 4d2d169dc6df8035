package io.metronome.domain;

/** Which {@code Error}s a handler or the worker may turn into a failed request, attempt or delivery. */
public final class Errors {
    private Errors() {
    }

    /**
     * The JVM's own breakdowns (an internal error, an unknown one, a thread being killed) are fatal: nothing after
     * them can be trusted; so is running out of memory, which may have struck any thread (the SDK's, a pool's) and
     * leaves the heap exhausted: the invocation ends and the runtime starts afresh. A stack overflow only ends what
     * was running: the stack is unwound. (An expression's own allocation too large for the heap is caught where it
     * is evaluated, and named there.) Anything else (the library's own {@code new Error(...)}, a linkage error) is a
     * failure of the work at hand.
     */
    @SuppressWarnings("deprecation")
    public static boolean isFatal(Throwable e) {
        if (e instanceof StackOverflowError) {
            return false;
        }
        return e instanceof VirtualMachineError || e instanceof ThreadDeath;
    }
}
