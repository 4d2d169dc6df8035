package io.metronome.expr;

import com.dashjoin.jsonata.Jsonata;
import com.dashjoin.jsonata.Parser;

import java.util.Collection;
import java.util.Map;

/**
 * What one expression evaluation may spend: time, depth and size. One instance per evaluation, installed as the
 * library's entry and exit callbacks, which it calls around every node of the expression it evaluates.
 *
 * <p>Time and depth are what the library's own {@code Frame.setRuntimeBounds} (its {@code Timebox}) checks, at the
 * same points; this class does it itself so that the same callbacks also check sizes and every breach names its
 * limit. Size: the library allocates lazily only ranges (at most 10^7 items); everything else a step builds is
 * checked when the step returns, so no intermediate value passes {@link #MAX_STRING_CHARS} or {@link #MAX_ITEMS}
 * and the most one step can allocate is a small multiple of that. The built-in functions whose output is not
 * bounded by their inputs' sizes ({@code $pad}, {@code $join}, {@code $replace}, {@code $string}, {@code $eval})
 * are replaced by guarded versions (see {@link GuardedFunctions}), and the result is converted to JSON under the
 * same bounds. A heap watchdog was the alternative, but it could only notice a huge allocation after the heap was
 * already gone, and it would fail whichever thread allocated next, not the expression at fault.
 */
public final class Budget implements Jsonata.EntryCallback, Jsonata.ExitCallback {
    /** Wall-clock time one evaluation may take. */
    public static final long TIME_MS = 1000;
    /**
     * Nesting of evaluation steps (each function call is about three): far below what overflows a 1 MB thread
     * stack, the JVM's default, so the budget ends a runaway recursion rather than a StackOverflowError.
     */
    public static final int MAX_DEPTH = 500;
    /** Brackets, parentheses and braces open at once in an expression's text, checked before the library parses. */
    public static final int MAX_NESTING = 100;
    /** Characters in any string an evaluation builds. */
    public static final int MAX_STRING_CHARS = 1_000_000;
    /** Items in any array, or fields in any object, an evaluation builds; also the number of values in a result. */
    public static final int MAX_ITEMS = 100_000;
    /** Levels of nesting in an evaluation's result. */
    public static final int MAX_RESULT_DEPTH = 100;

    /**
     * Wall-clock time all the evaluations of one node attempt may take together (a node may hold many: templates
     * in an http node's URL and headers, branch conditions...), well inside the worker's Lambda timeout.
     */
    public static final long ATTEMPT_TIME_MS = 10_000;
    private static final ThreadLocal<Long> ATTEMPT_DEADLINE = new ThreadLocal<>();

    private final long deadline;
    private final boolean attemptBound;
    private int depth;
    private String breach;

    Budget() {
        long own = System.nanoTime() + TIME_MS * 1_000_000;
        Long attempt = ATTEMPT_DEADLINE.get();
        this.attemptBound = attempt != null && attempt - own < 0;
        this.deadline = attemptBound ? attempt : own;
    }

    /** Runs one node attempt: every evaluation inside shares {@link #ATTEMPT_TIME_MS} besides its own budget. */
    public static <T> T forAttempt(java.util.concurrent.Callable<T> attempt) throws Exception {
        Long outer = ATTEMPT_DEADLINE.get();
        ATTEMPT_DEADLINE.set(System.nanoTime() + ATTEMPT_TIME_MS * 1_000_000);
        try {
            return attempt.call();
        } finally {
            if (outer == null) {
                ATTEMPT_DEADLINE.remove();
            } else {
                ATTEMPT_DEADLINE.set(outer);
            }
        }
    }

    @Override
    public void callback(Parser.Symbol expr, Object input, Jsonata.Frame environment) {
        if (!environment.isParallelCall && ++depth > MAX_DEPTH) {
            throw exceeded("exceeded its depth budget: evaluation nested deeper than " + MAX_DEPTH
                    + " levels (a recursion that does not end?)");
        }
        checkTime();
    }

    @Override
    public void callback(Parser.Symbol expr, Object input, Jsonata.Frame environment, Object result) {
        if (!environment.isParallelCall) {
            depth--;
        }
        checkTime();
        checkSize(result);
    }

    void checkTime() {
        if (System.nanoTime() - deadline > 0) {
            throw exceeded(attemptBound ? "exceeded the " + ATTEMPT_TIME_MS + " ms budget of its node attempt's "
                    + "expressions together" : "exceeded its " + TIME_MS + " ms budget");
        }
    }

    /** The direct size of one value: its children were checked when they were built. */
    void checkSize(Object value) {
        if (value instanceof CharSequence s && s.length() > MAX_STRING_CHARS) {
            throw tooLarge("a string of " + s.length() + " characters", MAX_STRING_CHARS + " characters");
        } else if (value instanceof Collection<?> c && c.size() > MAX_ITEMS) {
            throw tooLarge("an array of " + c.size() + " items", MAX_ITEMS + " items");
        } else if (value instanceof Map<?, ?> m && m.size() > MAX_ITEMS) {
            throw tooLarge("an object of " + m.size() + " fields", MAX_ITEMS + " fields");
        }
    }

    ExpressionLimitException tooLarge(String what, String limit) {
        return exceeded("exceeded its size budget: it built " + what + " (at most " + limit + ")");
    }

    /**
     * Remembers the first breach: the library may wrap what a callback or a function throws, and a breach must
     * still come out as itself.
     */
    ExpressionLimitException exceeded(String message) {
        if (breach == null) {
            breach = message;
        }
        return new ExpressionLimitException(breach);
    }

    /** The first limit this evaluation exceeded, if any. */
    String breach() {
        return breach;
    }

    /**
     * Null when the text nests at most {@link #MAX_NESTING} levels, else why not. Counts brackets outside string
     * literals, quoted names and comments, so the library's recursive parser never goes deeper than that.
     */
    static String nestingProblem(String expression) {
        int open = 0;
        int deepest = 0;
        int n = expression.length();
        for (int i = 0; i < n; i++) {
            char c = expression.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = endOfQuoted(expression, i, c);
            } else if (c == '/' && i + 1 < n && expression.charAt(i + 1) == '*') {
                int end = expression.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 1;
            } else if (c == '(' || c == '[' || c == '{') {
                deepest = Math.max(deepest, ++open);
            } else if (c == ')' || c == ']' || c == '}') {
                open = Math.max(0, open - 1);
            }
        }
        return deepest <= MAX_NESTING ? null : "nested " + deepest + " levels deep; an expression may nest at most "
                + MAX_NESTING + " (brackets, parentheses, braces and function calls)";
    }

    private static int endOfQuoted(String s, int start, char quote) {
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && quote != '`') {
                i++;
            } else if (c == quote) {
                return i;
            }
        }
        return s.length();
    }
}
