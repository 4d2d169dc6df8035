package io.metronome.expr;

import com.dashjoin.jsonata.Functions;
import com.dashjoin.jsonata.Jsonata;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Built-in functions whose output size is not bounded by the sizes of their inputs, in versions that refuse (with
 * the size budget named) before they allocate: a width ({@code $pad}), a product ({@code $replace}), a sum over an
 * array whose items may all be one shared string ({@code $join}, {@code $string}), or text to parse
 * ({@code $eval}). Each is registered on the expression being evaluated, in front of the library's own.
 */
final class GuardedFunctions {
    private GuardedFunctions() {
    }

    static void install(Jsonata expression, Budget budget) {
        expression.registerFunction("pad", new Jsonata.JFunction((input, args) ->
                pad(budget, (String) args.get(0), (Number) args.get(1), arg(args, 2)), "<s-ns?:s>"));
        expression.registerFunction("join", new Jsonata.JFunction((input, args) ->
                join(budget, args.get(0), arg(args, 1)), "<a<s>s?:s>"));
        expression.registerFunction("string", new Jsonata.JFunction((input, args) ->
                string(budget, args.get(0), args.size() > 1 ? (Boolean) args.get(1) : null), "<x-b?:s>"));
        expression.registerFunction("replace", new Jsonata.JFunction((input, args) ->
                replace(budget, (String) args.get(0), args.get(1), args.get(2),
                        args.size() > 3 && args.get(3) != null ? ((Number) args.get(3)).intValue() : null),
                "<s-(sf)(sf)n?:s>"));
        expression.registerFunction("eval", new Jsonata.JFunction((input, args) ->
                eval(budget, (String) args.get(0), args.size() > 1 ? args.get(1) : null), "<sx?:x>"));
    }

    private static String arg(List<?> args, int i) {
        return args.size() > i ? (String) args.get(i) : null;
    }

    /** JSONata's $pad: to |width| code points, on the right for a positive width, on the left for a negative. */
    static String pad(Budget budget, String str, Number width, String with) {
        if (str == null) {
            return null;
        }
        long target = Math.abs(width.longValue());
        if (target > Budget.MAX_STRING_CHARS) {
            throw budget.tooLarge("a string padded to " + target + " characters", Budget.MAX_STRING_CHARS + " characters");
        }
        String fill = with == null || with.isEmpty() ? " " : with;
        int missing = (int) target - str.codePointCount(0, str.length());
        if (missing <= 0) {
            return str;
        }
        int fillPoints = fill.codePointCount(0, fill.length());
        String repeated = fill.repeat(missing / fillPoints + 1);
        String padding = repeated.substring(0, repeated.offsetByCodePoints(0, missing));
        return width.doubleValue() > 0 ? str + padding : padding + str;
    }

    static String join(Budget budget, Object strings, String separator) {
        if (strings == null) {
            return null;
        }
        List<?> items = strings instanceof List<?> l ? l : List.of(strings);
        String sep = separator == null ? "" : separator;
        long chars = (long) Math.max(0, items.size() - 1) * sep.length();
        for (Object item : items) {
            chars += item == null ? 0 : item.toString().length();
        }
        if (chars > Budget.MAX_STRING_CHARS) {
            throw budget.tooLarge("a string of " + chars + " characters from $join", Budget.MAX_STRING_CHARS + " characters");
        }
        @SuppressWarnings("unchecked")
        List<String> typed = (List<String>) items;
        return Functions.join(typed, sep);
    }

    static String string(Budget budget, Object value, Boolean prettify) {
        long chars = serialisedSize(value, Budget.MAX_STRING_CHARS);
        if (chars > Budget.MAX_STRING_CHARS) {
            throw budget.tooLarge("a value whose text passes " + Budget.MAX_STRING_CHARS + " characters, given to $string",
                    Budget.MAX_STRING_CHARS + " characters");
        }
        return Functions.string(value, prettify);
    }

    static String replace(Budget budget, String str, Object pattern, Object replacement, Integer limit) {
        if (str != null && replacement instanceof String r && !r.isEmpty()) {
            long matches = Math.min(count(str, pattern), limit == null ? Long.MAX_VALUE : Math.max(0, limit));
            long chars = str.length() + matches * r.length();
            if (chars > Budget.MAX_STRING_CHARS) {
                throw budget.tooLarge("a string of up to " + chars + " characters from $replace",
                        Budget.MAX_STRING_CHARS + " characters");
            }
        }
        return Functions.replace(str, pattern, replacement, limit);
    }

    private static long count(String str, Object pattern) {
        long n = 0;
        if (pattern instanceof String p && !p.isEmpty()) {
            for (int i = str.indexOf(p); i >= 0; i = str.indexOf(p, i + p.length())) {
                n++;
            }
        } else if (pattern instanceof Pattern p) {
            Matcher m = p.matcher(str);
            while (m.find()) {
                n++;
            }
        }
        return n;
    }

    /** $eval parses at run time: the same nesting check as at save time comes first. */
    static Object eval(Budget budget, String expression, Object focus) {
        if (expression == null) {
            return null;
        }
        String problem = Budget.nestingProblem(expression);
        if (problem != null) {
            throw budget.exceeded("exceeded its depth budget: $eval was given an expression " + problem);
        }
        return Functions.functionEval(expression, focus);
    }

    /**
     * An estimate of a value's JSON text length, walked until it passes {@code limit}: shared parts count each time
     * they appear, as they would in the text, and the walk stops early, so a value that is small in memory and
     * huge as text (an array of one string many times) costs no more than the limit to measure.
     */
    static long serialisedSize(Object value, long limit) {
        return new Object() {
            long total;
            final Map<Object, Boolean> onPath = new IdentityHashMap<>();

            long walk(Object v) {
                if (total > limit) {
                    return total;
                }
                if (v instanceof CharSequence s) {
                    total += s.length() + 2;
                } else if (v instanceof Map<?, ?> m) {
                    if (onPath.put(m, Boolean.TRUE) != null) {
                        return total = limit + 1; // a cycle: no finite text
                    }
                    total += 2;
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        total += String.valueOf(e.getKey()).length() + 4;
                        walk(e.getValue());
                        if (total > limit) {
                            break;
                        }
                    }
                    onPath.remove(m);
                } else if (v instanceof List<?> l) {
                    if (onPath.put(l, Boolean.TRUE) != null) {
                        return total = limit + 1;
                    }
                    total += 2;
                    for (Object item : l) {
                        total += 1;
                        walk(item);
                        if (total > limit) {
                            break;
                        }
                    }
                    onPath.remove(l);
                } else {
                    total += 24; // a number, a boolean, null or a function: short
                }
                return total;
            }
        }.walk(value);
    }
}
