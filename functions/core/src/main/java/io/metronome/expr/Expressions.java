package io.metronome.expr;

import com.dashjoin.jsonata.JException;
import com.dashjoin.jsonata.Jsonata;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.metronome.domain.Json;

/**
 * JSONata expressions (dashjoin's Java implementation), evaluated over the context
 * {@code {input, nodes: {<nodeId>: <output>}, run: {...}}}. Parsing happens again on every evaluation: it is
 * cheap next to a node's I/O, and a parsed expression is not safe to share between threads.
 */
public final class Expressions {
    private Expressions() {
    }

    /** Null when the expression parses, else the parser's message. */
    public static String syntaxError(String expression) {
        try {
            Jsonata.jsonata(expression);
            return null;
        } catch (JException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            return String.valueOf(e.getMessage());
        }
    }

    /**
     * Evaluates an expression; JSONata's "undefined" becomes JSON null.
     *
     * @throws ExpressionException when evaluation fails, with a message fit for a step's error
     */
    public static JsonNode evaluate(String expression, JsonNode context) {
        try {
            Object input = Json.MAPPER.convertValue(context, Object.class);
            Object result = Jsonata.jsonata(expression).evaluate(input);
            return result == null ? NullNode.getInstance() : Json.MAPPER.valueToTree(result);
        } catch (JException e) {
            throw new ExpressionException("expression '" + expression + "' failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new ExpressionException("expression '" + expression + "' failed: " + e, e);
        }
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

    public static final class ExpressionException extends RuntimeException {
        public ExpressionException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
