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
        // A regular expression runs inside java.util.regex, where no evaluation callback (so no time check) comes:
        // each is first run over the same text through a CharSequence that checks the budget's time, so a pattern
        // that backtracks without end fails with the time limit named, and the library's own run after it costs
        // what the checked one did.
        expression.registerFunction("match", new Jsonata.JFunction((input, args) -> {
            String str = (String) args.get(0);
            scan(budget, str, args.get(1));
            return Functions.match(str, (Pattern) args.get(1), args.size() > 2 && args.get(2) != null
                    ? ((Number) args.get(2)).intValue() : null);
        }, "<s-f<s:o>n?:a<o>>"));
        expression.registerFunction("contains", new Jsonata.JFunction((input, args) -> {
            scan(budget, (String) args.get(0), args.get(1));
            return Functions.contains((String) args.get(0), args.get(1));
        }, "<s-(sf):b>"));
        expression.registerFunction("split", new Jsonata.JFunction((input, args) -> {
            scan(budget, (String) args.get(0), args.get(1));
            return Functions.split((String) args.get(0), args.get(1), args.size() > 2 ? (Number) args.get(2) : null);
        }, "<s-(sf)n?:a<s>>"));
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
        long found = scan(budget, str, pattern);
        if (str != null && replacement instanceof String r && !r.isEmpty()) {
            long matches = Math.min(found, limit == null ? Long.MAX_VALUE : Math.max(0, limit));
            long chars = str.length() + matches * r.length();
            if (chars > Budget.MAX_STRING_CHARS) {
                throw budget.tooLarge("a string of up to " + chars + " characters from $replace",
                        Budget.MAX_STRING_CHARS + " characters");
            }
        }
        return Functions.replace(str, pattern, replacement, limit);
    }

    /**
     * The number of matches of a pattern (a string, or a regular expression run through a time-checked view of
     * the text); 0 for no text or no pattern.
     */
    static long scan(Budget budget, String str, Object pattern) {
        long n = 0;
        if (str == null) {
            return 0;
        }
        if (pattern instanceof String p && !p.isEmpty()) {
            for (int i = str.indexOf(p); i >= 0; i = str.indexOf(p, i + p.length())) {
                n++;
            }
        } else if (pattern instanceof Pattern p) {
            Matcher m = p.matcher(new TimedText(str, budget));
            while (m.find()) {
                n++;
            }
        }
        return n;
    }

    /** Text whose characters, read by the regex engine, check the budget's time now and then. */
    private record TimedText(String text, Budget budget, int from, int to, int[] reads) implements CharSequence {
        TimedText(String text, Budget budget) {
            this(text, budget, 0, text.length(), new int[1]);
        }

        @Override
        public char charAt(int index) {
            if ((++reads[0] & 0xFFF) == 0) {
                budget.checkTime();
            }
            return text.charAt(from + index);
        }

        @Override
        public int length() {
            return to - from;
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new TimedText(text, budget, from + start, from + end, reads);
        }

        @Override
        public String toString() {
            return text.substring(from, to);
        }
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
