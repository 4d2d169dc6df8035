package io.metronome.expr;

import com.dashjoin.jsonata.Jsonata;
import io.metronome.domain.Templates;

import java.lang.reflect.Field;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which top-level parts of the context {@code {input, nodes, run, item, index}} an expression reads, from its text
 * alone: a worker loads only the node outputs its node's expressions name, so a name missed here is data missing
 * there. Naming too much costs only a load.
 *
 * <p>It walks the library's own parse tree rather than scanning the text: which {@code nodes} starts a path, and
 * what that path is evaluated against, is JSONata's scoping (steps, predicates, {@code @} bindings, lambdas), and a
 * scanner of our own would drift from the parser that actually runs. The tree is not the library's API: its fields
 * are package-private and read by reflection ({@link Tree}); the library's version is pinned, and ReferencesTest
 * fails if the tree changes shape.
 *
 * <p>Two rules keep it safe:
 * <ul>
 * <li>{@code nodes.<id>}, {@code input}, {@code item} and {@code index} count wherever they start a path, even
 * where that path starts from the current item of a predicate or a later step rather than from the root.
 * <li>An expression reaches the root object itself only through {@code $$}, {@code $} where the context is the
 * root, the parent operator {@code %}, {@code $eval}, built-ins that take the context for a missing argument
 * ({@code $keys()}, {@code $lookup("k")}...), called or passed on as values, and lambdas whose signature may do
 * the same. Each is a dynamic use unless a named step follows it ({@code $$.nodes.<id>}), so every other value lies
 * inside the root, and a path started from it never reads the root's {@code nodes}: there, a bare {@code nodes} is
 * the item's own field. (After an {@code @$v} binding a step runs against the previous step's context, which
 * {@code path} follows.)
 * </ul>
 *
 * @param nodes           the node ids read as {@code nodes.<id>}
 * @param dynamicNodesUse null when every use of {@code nodes} names one node, else the first use that does not
 */
public record References(Set<String> nodes, boolean input, boolean item, boolean index, String dynamicNodesUse) {
    public static final References NONE = new References(Set.of(), false, false, false, null);

    /**
     * Built-ins that take the context for a missing first argument and accept an object there, with the count of
     * arguments below which they take it (from the library's signatures: {@code $lookup} is {@code <x-s:x>}, so
     * {@code $lookup("k")} is {@code $lookup($, "k")}). {@code $boolean()} and {@code $not()} take it too, but the
     * root always has keys, so they learn nothing of the outputs.
     */
    private static final Map<String, Integer> CONTEXT_DEFAULTING = Map.of(
            "string", 1, "keys", 1, "spread", 1, "clone", 1, "lookup", 2, "each", 2, "sift", 2);

    /** Built-ins that call their function argument with no context, so a context-defaulting one passed in is safe. */
    private static final Set<String> HIGHER_ORDER = Set.of("map", "filter", "single", "reduce", "sort", "sift", "each");

    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int SHOWN_CHARS = 60;

    public References {
        nodes = Collections.unmodifiableSortedSet(new TreeSet<>(nodes));
    }

    /**
     * What one expression reads.
     *
     * @throws IllegalArgumentException when it does not parse (or nests too deeply to)
     */
    public static References of(String expression) {
        Jsonata parsed;
        try {
            parsed = Expressions.parse(expression);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("expression does not parse: " + e.getMessage(), e);
        }
        Walk walk = new Walk();
        try {
            walk.visit(Tree.root(parsed), true);
        } catch (StackOverflowError e) {
            throw new IllegalArgumentException("expression is nested too deeply to analyse");
        }
        return walk.result();
    }

    /** What several expressions read together, as a node's url, headers, body and conditions do. */
    public static References ofAll(Iterable<String> expressions) {
        References all = NONE;
        for (String expression : expressions) {
            all = all.plus(of(expression));
        }
        return all;
    }

    /** What the {@code {{ ... }}} expressions of a template string read; nothing when it has none. */
    public static References ofTemplate(String text) {
        return ofAll(Templates.expressions(text));
    }

    /** Both together; the first dynamic use is kept. */
    public References plus(References other) {
        Set<String> both = new TreeSet<>(nodes);
        both.addAll(other.nodes);
        return new References(both, input || other.input, item || other.item, index || other.index,
                dynamicNodesUse != null ? dynamicNodesUse : other.dynamicNodesUse);
    }

    public boolean readsNodesDynamically() {
        return dynamicNodesUse != null;
    }

    /** Null when the outputs read are all named, else why a definition should be refused. */
    public String problem() {
        return dynamicNodesUse == null ? null
                : "reads nodes dynamically (" + dynamicNodesUse + "); refer to outputs as nodes.<nodeId>";
    }

    /** One walk over a parse tree, collecting as it goes. {@code root}: the context here may be the root object. */
    private static final class Walk {
        private final Set<String> nodes = new TreeSet<>();
        private boolean input;
        private boolean item;
        private boolean index;
        private String dynamic;

        References result() {
            return new References(nodes, input, item, index, dynamic);
        }

        private void dynamic(String use) {
            if (dynamic == null) {
                dynamic = use;
            }
        }

        /** The root object itself escapes: every part of it may be read. */
        private void whole(String use) {
            dynamic(use);
            input = item = index = true;
        }

        void visit(Object s, boolean root) {
            visit(s, root, false);
        }

        /** {@code attachedRoot}: whether the values of {@code s}, which its predicates run against, may be the root. */
        private void visit(Object s, boolean root, boolean attachedRoot) {
            if (s == null) {
                return;
            }
            switch (Tree.type(s)) {
                case "path" -> path(Tree.list(s, "steps"), Tree.get(s, "group"), root);
                case "name" -> path(List.of(s), null, root); // the parser wraps every name in a path; in case not
                case "variable" -> variable(s, root);
                case "function", "partial" -> call(s, root, 0, s);
                case "apply" -> apply(s, root);
                case "bind" -> visit(Tree.get(s, "rhs"), root);
                case "lambda" -> lambda(s, root);
                case "condition" -> {
                    visit(Tree.get(s, "condition"), root);
                    visit(Tree.get(s, "then"), root);
                    visit(Tree.get(s, "_else"), root);
                }
                case "block", "unary" -> {
                    all(Tree.list(s, "expressions"), root);
                    pairs(Tree.list(s, "lhsObject"), root);
                    visit(Tree.get(s, "expression"), root);
                }
                case "binary" -> {
                    visit(Tree.get(s, "lhs"), root);
                    visit(Tree.get(s, "rhs"), root);
                }
                // Evaluated against each value the sort step (or the transform's argument) holds.
                case "sort" -> Tree.list(s, "terms").forEach(term -> visit(Tree.get(term, "expression"), root));
                case "transform" -> {
                    visit(Tree.get(s, "pattern"), false);
                    visit(Tree.get(s, "update"), false);
                    visit(Tree.get(s, "delete"), false);
                }
                // Climbs to whatever held the step, the root included; resolving how far is not worth it.
                case "parent" -> whole("%");
                case "wildcard", "descendant" -> {
                    if (root) {
                        whole(show(s));
                    }
                }
                case "string", "number", "value", "regex", "operator" -> {
                }
                default -> whole("an expression of type " + Tree.type(s) + " that References does not know");
            }
            if (!Tree.type(s).equals("path") && !Tree.type(s).equals("name")) {
                attachments(s, attachedRoot);
            }
        }

        private void all(List<?> expressions, boolean root) {
            expressions.forEach(e -> visit(e, root));
        }

        private void pairs(List<?> pairs, boolean root) {
            for (Object pair : pairs) {
                visit(((Object[]) pair)[0], root);
                visit(((Object[]) pair)[1], root);
            }
        }

        /** Predicates and group-bys, evaluated against each value of what they are attached to. */
        private void attachments(Object s, boolean root) {
            for (String kind : List.of("predicate", "stages")) {
                for (Object stage : Tree.list(s, kind)) {
                    visit(Tree.get(stage, "expr"), root); // an index stage (#$i) has none
                }
            }
            Object group = Tree.get(s, "group");
            if (group != null) {
                pairs(Tree.list(group, "lhsObject"), root);
            }
        }

        /**
         * A path's steps each run against the previous step's values, except after an {@code @$v} binding, where
         * the next step runs against what the bound one ran against ({@code input@$i.nodes} reads the root's).
         */
        private void path(List<?> steps, Object group, boolean root) {
            int n = steps.size();
            int[] from = new int[n]; // which step's values step j runs against; -1: the path's own context
            boolean[] isRoot = new boolean[n]; // step j's value may be the root object itself
            boolean focused = false;
            for (int j = 0; j < n; j++) {
                Object step = steps.get(j);
                from[j] = j == 0 ? -1 : Tree.get(steps.get(j - 1), "focus") != null ? from[j - 1] : j - 1;
                boolean contextRoot = from[j] < 0 ? root : isRoot[from[j]];
                // $$, $ against the root, or a sort of the root (which passes it on)
                isRoot[j] = isVariable(step, "$")
                        || contextRoot && (isVariable(step, "") || Tree.type(step).equals("sort"));
                focused |= Tree.get(step, "focus") != null;
            }
            boolean anyRoot = root;
            for (boolean r : isRoot) {
                anyRoot |= r;
            }
            // In a path with bindings, predicates and group-bys run against tuples whose context may be the
            // path's own: count them as at the root when the path might be.
            boolean tupleRoot = focused && anyRoot;
            for (int j = 0; j < n; j++) {
                Object step = steps.get(j);
                int k = from[j];
                boolean contextRoot = k < 0 ? root : isRoot[k];
                boolean top = k < 0 || isRoot[k];
                if (isRoot[j] && (!consumed(from, j) || Tree.get(step, "focus") != null || hasStages(step))) {
                    whole(showSteps(steps, j + 1)); // the root itself is the result, is bound, or is filtered
                }
                if (Tree.type(step).equals("name")) {
                    if (top) {
                        field(steps, from, j, contextRoot, j == n - 1 && group != null);
                    } else if (isNodes(steps.get(k)) && (from[k] < 0 || isRoot[from[k]])) {
                        nodes.add(Tree.name(step));
                    }
                    attachments(step, tupleRoot);
                } else if (isRoot[j] && Tree.type(step).equals("variable")) {
                    attachments(step, true); // judged above, not as a value of its own
                } else if (contextRoot && List.of("wildcard", "descendant").contains(Tree.type(step))) {
                    whole(showSteps(steps, j + 1));
                    attachments(step, tupleRoot);
                } else {
                    visit(step, contextRoot || tupleRoot, isRoot[j] || tupleRoot);
                }
            }
            if (group != null) {
                pairs(Tree.list(group, "lhsObject"), isRoot[n - 1] || tupleRoot);
            }
        }

        /** A step's values are the context of some later step. */
        private static boolean consumed(int[] from, int j) {
            for (int f : from) {
                if (f == j) {
                    return true;
                }
            }
            return false;
        }

        /** A named step taken from the context or from the root object: one of the context's own parts. */
        private void field(List<?> steps, int[] from, int j, boolean root, boolean grouped) {
            switch (Tree.name(steps.get(j))) {
                case "input" -> input = true;
                case "item" -> item = true;
                case "index" -> index = true;
                case "nodes" -> nodesStep(steps, from, j, root, grouped);
                default -> {
                }
            }
        }

        /** {@code nodes} read where it may be the root's: fine only when each use of it names one node. */
        private void nodesStep(List<?> steps, int[] from, int j, boolean root, boolean grouped) {
            Object step = steps.get(j);
            if (!root) {
                return; // the item's own field; the ids after it are counted all the same by path()
            }
            if (hasStages(step) || Tree.get(step, "focus") != null) {
                dynamic(showSteps(steps, j + 1));
                return;
            }
            if (!consumed(from, j)) {
                dynamic(showSteps(steps, j + 1) + (grouped ? "{...}" : ""));
                return;
            }
            for (int i = j + 1; i < steps.size(); i++) {
                if (from[i] == j && !Tree.type(steps.get(i)).equals("name")) {
                    dynamic(showSteps(steps, i + 1));
                    return;
                }
            }
        }

        private void variable(Object s, boolean root) {
            String name = Tree.name(s);
            if (name.equals("$") || root && name.isEmpty()) {
                whole(show(s)); // $$, or $ where the context is the root
            } else if (name.equals("eval") || CONTEXT_DEFAULTING.containsKey(name)) {
                // As a value it may be called later from anywhere, the root included: ($f := $keys; $f()).
                whole(show(s) + " as a function value");
            }
        }

        /** {@code extra}: an argument the call gets from the left of {@code ~>}; {@code shown}: what to name. */
        private void call(Object s, boolean root, int extra, Object shown) {
            Object procedure = Tree.get(s, "procedure");
            List<?> arguments = Tree.list(s, "arguments");
            String name = Tree.type(procedure).equals("variable") ? Tree.name(procedure) : null;
            if (name == null) {
                visit(procedure, root);
            } else if (name.equals("eval")) {
                whole(show(shown)); // it reads whatever its text names, $$ included
            } else if (root && Tree.type(s).equals("function") && CONTEXT_DEFAULTING.containsKey(name)
                    && arguments.size() + extra < CONTEXT_DEFAULTING.get(name)) {
                whole(show(shown));
            }
            for (Object argument : arguments) {
                if (bare(argument, root)) {
                    dynamic(show(s)); // $keys(nodes) says more than nodes
                }
                if (!(name != null && HIGHER_ORDER.contains(name) && isContextDefaulting(argument))) {
                    visit(argument, root);
                }
            }
        }

        private void apply(Object s, boolean root) {
            Object lhs = Tree.get(s, "lhs");
            Object rhs = Tree.get(s, "rhs");
            if (bare(lhs, root)) {
                dynamic(show(s));
            }
            visit(lhs, root);
            if (Tree.type(rhs).equals("function")) {
                call(rhs, root, 1, s);
            } else if (!isContextDefaulting(rhs)) { // x ~> $string calls it with no context
                visit(rhs, root);
            }
        }

        /** A lambda's body runs against the context it was defined in. */
        private void lambda(Object s, boolean root) {
            if (Tree.takesContext(Tree.get(s, "signature"))) {
                // A "-" parameter takes the context of the call, wherever that is.
                whole("a function signature with a context (-) parameter");
            }
            visit(Tree.get(s, "body"), root);
        }

        /** {@code nodes}, {@code $$} or (at the root) {@code $} alone. */
        private static boolean bare(Object s, boolean root) {
            if (isVariable(s, "$") || root && isVariable(s, "")) {
                return true;
            }
            if (!root || !Tree.type(s).equals("path")) {
                return false;
            }
            List<?> steps = Tree.list(s, "steps");
            return steps.size() == 1 && isNodes(steps.get(0));
        }

        private static boolean isContextDefaulting(Object s) {
            return Tree.type(s).equals("variable") && CONTEXT_DEFAULTING.containsKey(Tree.name(s));
        }

        private static boolean isVariable(Object s, String name) {
            return Tree.type(s).equals("variable") && Tree.name(s).equals(name);
        }

        private static boolean isNodes(Object step) {
            return Tree.type(step).equals("name") && Tree.name(step).equals("nodes");
        }

        private static boolean hasStages(Object step) {
            return !Tree.list(step, "stages").isEmpty() || !Tree.list(step, "predicate").isEmpty();
        }
    }

    /** A short rendering of a parsed expression, for messages: close to the source, not the source. */
    static String show(Object s) {
        String text = render(s);
        return text.length() <= SHOWN_CHARS ? text : text.substring(0, SHOWN_CHARS - 3) + "...";
    }

    private static String showSteps(List<?> steps, int count) {
        String text = renderSteps(steps.subList(0, count));
        return text.length() <= SHOWN_CHARS ? text : text.substring(0, SHOWN_CHARS - 3) + "...";
    }

    private static String renderSteps(List<?> steps) {
        StringBuilder out = new StringBuilder();
        for (Object step : steps) {
            if (out.length() > 0 && !Tree.type(step).equals("sort")) {
                out.append('.');
            }
            out.append(render(step));
        }
        return out.toString();
    }

    private static String render(Object s) {
        if (s == null) {
            return "";
        }
        Object value = Tree.get(s, "value");
        String out = switch (Tree.type(s)) {
            case "path" -> renderSteps(Tree.list(s, "steps"));
            case "name" -> PLAIN_NAME.matcher(Tree.name(s)).matches() ? Tree.name(s) : "`" + Tree.name(s) + "`";
            case "variable" -> "$" + value;
            case "string" -> "\"" + value + "\"";
            case "number", "value", "operator" -> String.valueOf(value);
            case "function", "partial" -> render(Tree.get(s, "procedure")) + "(" + join(Tree.list(s, "arguments"), ", ") + ")";
            case "block" -> "(" + join(Tree.list(s, "expressions"), "; ") + ")";
            case "apply" -> render(Tree.get(s, "lhs")) + " ~> " + render(Tree.get(s, "rhs"));
            case "binary" -> render(Tree.get(s, "lhs")) + " " + value + " " + render(Tree.get(s, "rhs"));
            case "unary" -> switch (String.valueOf(value)) {
                case "[" -> "[" + join(Tree.list(s, "expressions"), ", ") + "]";
                case "{" -> "{...}";
                default -> value + render(Tree.get(s, "expression"));
            };
            case "wildcard" -> "*";
            case "descendant" -> "**";
            case "parent" -> "%";
            case "sort" -> "^(...)";
            case "lambda" -> "function(...){...}";
            default -> "...";
        };
        StringBuilder suffix = new StringBuilder();
        if (Tree.get(s, "focus") != null) {
            suffix.append("@$").append(Tree.get(s, "focus"));
        }
        for (String kind : List.of("predicate", "stages")) {
            for (Object stage : Tree.list(s, kind)) {
                suffix.append(Tree.type(stage).equals("index") ? "#$" + Tree.get(stage, "value") : "[...]");
            }
        }
        if (Tree.get(s, "group") != null) {
            suffix.append("{...}");
        }
        return out + suffix;
    }

    private static String join(List<?> parts, String separator) {
        StringBuilder out = new StringBuilder();
        for (Object part : parts) {
            out.append(out.length() > 0 ? separator : "").append(render(part));
        }
        return out.toString();
    }

    /**
     * The library's parse tree ({@code Parser.Symbol}, as {@code Jsonata.ast} holds it after the parser's own
     * post-processing), read through its package-private fields. The library sits on the class path, in the
     * unnamed module, so reflection may open them.
     */
    private static final class Tree {
        private static final Field AST;
        private static final Field PARAMS;
        private static final Field PARAM_CONTEXT;
        private static final Map<String, Field> FIELDS = new HashMap<>();
        private static final Class<?> SYMBOL;

        static {
            try {
                SYMBOL = Class.forName("com.dashjoin.jsonata.Parser$Symbol");
                AST = open(Jsonata.class.getDeclaredField("ast"));
                for (String name : List.of("type", "value", "steps", "predicate", "stages", "group", "lhsObject",
                        "lhs", "rhs", "expressions", "arguments", "procedure", "body", "condition", "then", "_else",
                        "expression", "expr", "terms", "focus", "signature", "pattern", "update", "delete")) {
                    FIELDS.put(name, open(SYMBOL.getDeclaredField(name)));
                }
                PARAMS = open(Class.forName("com.dashjoin.jsonata.utils.Signature").getDeclaredField("_params"));
                PARAM_CONTEXT = open(Class.forName("com.dashjoin.jsonata.utils.Signature$Param")
                        .getDeclaredField("context"));
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("jsonata-java's parse tree is not what References reads: " + e, e);
            }
        }

        private static Field open(Field field) {
            field.setAccessible(true);
            return field;
        }

        static Object root(Jsonata parsed) {
            return read(AST, parsed);
        }

        static Object get(Object symbol, String field) {
            return symbol == null || !SYMBOL.isInstance(symbol) ? null : read(FIELDS.get(field), symbol);
        }

        static List<?> list(Object symbol, String field) {
            Object value = get(symbol, field);
            return value == null ? List.of() : (List<?>) value;
        }

        /** "" for the symbols that have none, such as a group-by's. */
        static String type(Object symbol) {
            Object type = get(symbol, "type");
            return type == null ? "" : type.toString();
        }

        static String name(Object symbol) {
            return String.valueOf(get(symbol, "value"));
        }

        static boolean takesContext(Object signature) {
            if (signature == null) {
                return false;
            }
            for (Object param : (List<?>) read(PARAMS, signature)) {
                if ((Boolean) read(PARAM_CONTEXT, param)) {
                    return true;
                }
            }
            return false;
        }

        private static Object read(Field field, Object target) {
            try {
                return field.get(target);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot read jsonata-java's parse tree: " + e, e);
            }
        }
    }
}
