package io.metronome.cli;

/** A command could not do what was asked, for a reason its message tells the user (exit status 1). */
final class CommandFailed extends RuntimeException {
    CommandFailed(String message) {
        super(message);
    }

    CommandFailed(String message, Throwable cause) {
        super(message, cause);
    }
}
