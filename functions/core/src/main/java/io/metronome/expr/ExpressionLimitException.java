package io.metronome.expr;

/**
 * An evaluation exceeded one of its {@link Budget}s, or nests too deeply to parse. Retrying cannot help: the same
 * expression over the same input does the same again.
 */
public final class ExpressionLimitException extends Expressions.ExpressionException {
    public ExpressionLimitException(String message) {
        super(message, null);
    }
}
