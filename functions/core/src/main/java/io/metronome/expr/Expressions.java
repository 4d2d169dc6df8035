package io.metronome.expr;

import com.dashjoin.jsonata.JException;
import com.dashjoin.jsonata.Jsonata;
import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Errors;
import io.metronome.domain.Json;

/**
 * JSONata expressions (dashjoin's Java implementation), evaluated over the context
 * {@code {input, nodes: {<nodeId>: <output>}, run: {...}}}. Parsing happens again on every evaluation: it is
 * cheap next to a node's I/O, and a parsed expression is not safe to share between threads. Every evaluation has
 * a {@link Budget} of time, depth and size; no {@code Error} from the library escapes, except the JVM's own fatal ones.
 */
public final class Expressions {
    private Expressions() {
    }

    /** Null when the expression parses (and nests at most {@link Budget#MAX_NESTING} levels), else why not. */
    public static String syntaxError(String expression) {
        try {
            parse(expression);
            return null;
        } catch (ExpressionLimitException e) {
            return e.getMessage();
        } catch (JException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            return String.valueOf(e.getMessage());
        }
    }

    /**
     * Evaluates an expression within its {@link Budget}; JSONata's "undefined" becomes JSON null.
     *
     * @throws ExpressionLimitException when it exceeds a budget (time, depth or size) or nests too deeply to parse
     * @throws ExpressionException when evaluation fails otherwise, with a message fit for a step's error
     */
    public static JsonNode evaluate(String expression, JsonNode context) {
        Budget budget = null;
        try {
            Jsonata parsed = parse(expression);
            budget = new Budget();
            GuardedFunctions.install(parsed, budget);
            Jsonata.Frame frame = parsed.createFrame();
            frame.setEvaluateEntryCallback(budget);
            frame.setEvaluateExitCallback(budget);
            Object input = Json.MAPPER.convertValue(context, Object.class);
            return Results.toJson(parsed.evaluate(input, frame), budget);
        } catch (ExpressionLimitException e) {
            throw budget != null && budget.breach() != null ? failure(expression, budget, null, e) : e;
        } catch (JException e) {
            throw failure(expression, budget, e.getMessage(), e);
        } catch (RuntimeException e) {
            throw failure(expression, budget, e.toString(), e);
        } catch (StackOverflowError e) {
            // Last line: the budgets keep the library well within the stack, but data built deep enough can
            // still make one of its functions recurse past it. The frames are gone by now; nothing is left half-done.
            throw new ExpressionLimitException(quoted(expression) + " exceeded its depth budget: it recursed past "
                    + "the thread's stack");
        } catch (OutOfMemoryError e) {
            // Last line too: a single allocation too large for the heap fails alone, and what the evaluation
            // built is garbage once this returns.
            throw new ExpressionLimitException(quoted(expression) + " exceeded its size budget: it ran out of memory");
        } catch (Error e) {
            if (Errors.isFatal(e)) {
                throw e;
            }
            throw failure(expression, budget, e.toString(), null);
        }
    }

    /** The expression's own text; parsing a nesting past {@link Budget#MAX_NESTING} is refused before it starts. */
    static Jsonata parse(String expression) {
        String problem = Budget.nestingProblem(expression);
        if (problem != null) {
            throw new ExpressionLimitException("expression is " + problem);
        }
        try {
            return Jsonata.jsonata(expression);
        } catch (StackOverflowError e) {
            // A long chain of operators recurses in the parser without brackets.
            throw new ExpressionLimitException("expression is nested too deeply to parse (a chain of operators"
                    + " too long?)");
        }
    }

    /** A limit the library noticed inside (and perhaps wrapped) stays a limit. */
    private static ExpressionException failure(String expression, Budget budget, String message, Throwable cause) {
        if (budget != null && budget.breach() != null) {
            return new ExpressionLimitException(quoted(expression) + " " + budget.breach());
        }
        return new ExpressionException(quoted(expression) + " failed: " + message, cause);
    }

    private static String quoted(String expression) {
        String shown = expression.length() > 200 ? expression.substring(0, 200) + "..." : expression;
        return "expression '" + shown + "'";
    }

    /** JSONata truthiness for branch conditions. */
    public static boolean isTruthy(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return false;
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        if (value.isNumber()) {
            return value.doubleValue() != 0;
        }
        if (value.isTextual()) {
            return !value.textValue().isEmpty();
        }
        if (value.isArray()) {
            for (JsonNode v : value) {
                if (isTruthy(v)) {
                    return true;
                }
            }
            return false;
        }
        return value.size() > 0;
    }

    public static class ExpressionException extends RuntimeException {
        public ExpressionException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
