package io.metronome.dynamodb;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * DynamoDB's expression grammar (condition, filter, key condition, projection and update expressions), parsed by
 * recursive descent. Written by hand: no library parses DynamoDB's expressions. Precedence, from the Developer
 * Guide: comparators, IN, BETWEEN, functions, parentheses, NOT, AND, OR (OR binds loosest).
 */
final class ExpressionParser {
    static final int MAX_EXPRESSION_LENGTH = 4096;
    static final int MAX_IN_OPERANDS = 100;
    private static final Set<String> RESERVED = loadReservedWords();
    private static final Set<String> TYPES = Set.of("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M");

    private enum Kind { NAME, NAME_REF, VALUE_REF, INDEX, LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, DOT, CMP, PLUS, MINUS, EOF }

    private record Token(Kind kind, String text) {
    }

    private static final Set<String> CONDITION_FUNCTIONS = Set.of("attribute_exists", "attribute_not_exists",
            "attribute_type", "begins_with", "contains");
    private static final Set<String> UPDATE_FUNCTIONS = Set.of("if_not_exists", "list_append");

    private final String which;
    private final Placeholders placeholders;
    private final List<Token> tokens;
    private int pos;
    /** Conditions that stood in parentheses: a second pair around one of them is DynamoDB's "redundant". */
    private final Set<Condition> parenthesized = Collections.newSetFromMap(new IdentityHashMap<>());

    private ExpressionParser(String text, String which, Placeholders placeholders) {
        this.which = which;
        this.placeholders = placeholders;
        if (text.isEmpty()) {
            throw DynamoDbException.invalidExpression(which, "The expression can not be empty;");
        }
        long bytes = Value.utf8Length(text);
        if (bytes > MAX_EXPRESSION_LENGTH) {
            throw DynamoDbException.invalidExpression(which,
                    "Expression size has exceeded the maximum allowed size; expression size: " + bytes);
        }
        this.tokens = lex(text);
    }

    static Condition condition(String text, String which, Placeholders placeholders) {
        ExpressionParser p = new ExpressionParser(text, which, placeholders);
        Condition c = p.or();
        p.expect(Kind.EOF);
        return c;
    }

    static List<Path> projection(String text, Placeholders placeholders) {
        ExpressionParser p = new ExpressionParser(text, "ProjectionExpression", placeholders);
        List<Path> paths = new ArrayList<>();
        do {
            paths.add(p.path());
        } while (p.accept(Kind.COMMA));
        p.expect(Kind.EOF);
        for (int i = 0; i < paths.size(); i++) {
            for (int j = i + 1; j < paths.size(); j++) {
                p.checkDistinct(paths.get(i), paths.get(j));
            }
        }
        return paths;
    }

    static UpdateExpression update(String text, Placeholders placeholders) {
        ExpressionParser p = new ExpressionParser(text, "UpdateExpression", placeholders);
        UpdateExpression u = p.updateClauses();
        List<Path> paths = u.paths();
        for (int i = 0; i < paths.size(); i++) {
            for (int j = i + 1; j < paths.size(); j++) {
                p.checkDistinct(paths.get(i), paths.get(j));
            }
        }
        return u;
    }

    private void checkDistinct(Path a, Path b) {
        if (a.conflicts(b)) {
            throw DynamoDbException.invalidExpression(which, "Two document paths conflict with each other; must remove or "
                    + "rewrite one of these paths; path one: " + a + ", path two: " + b);
        }
        if (a.overlaps(b)) {
            throw DynamoDbException.invalidExpression(which, "Two document paths overlap with each other; must remove or "
                    + "rewrite one of these paths; path one: " + a + ", path two: " + b);
        }
    }

    // ---- conditions

    private Condition or() {
        Condition c = and();
        while (acceptKeyword("OR")) {
            c = new Condition.Or(c, and());
        }
        return c;
    }

    private Condition and() {
        Condition c = not();
        while (acceptKeyword("AND")) {
            c = new Condition.And(c, not());
        }
        return c;
    }

    private Condition not() {
        if (acceptKeyword("NOT")) {
            return new Condition.Not(not());
        }
        return primary();
    }

    private Condition primary() {
        if (accept(Kind.LPAREN)) {
            Condition c = or();
            expect(Kind.RPAREN);
            if (!parenthesized.add(c)) {
                throw DynamoDbException.invalidExpression(which, "The expression has redundant parentheses;");
            }
            return c;
        }
        if (peek().kind == Kind.NAME && peek(1).kind == Kind.LPAREN && !peek().text.equals("size")) {
            return function();
        }
        Operand left = operand();
        if (acceptKeyword("BETWEEN")) {
            Operand low = operand();
            if (!acceptKeyword("AND")) {
                throw syntaxError();
            }
            Operand high = operand();
            distinct("BETWEEN", left, List.of(low, high));
            if (low instanceof Operand.Literal lo && high instanceof Operand.Literal hi) {
                String bounds = "; lower bound operand: " + describe(lo.value()) + ", upper bound operand: "
                        + describe(hi.value());
                Integer c = Value.compare(lo.value(), hi.value());
                if (!lo.value().type().equals(hi.value().type())) {
                    throw DynamoDbException.invalidExpression(which,
                            "The BETWEEN operator requires same data type for lower and upper bounds" + bounds);
                }
                if (c != null && c > 0) {
                    throw DynamoDbException.invalidExpression(which, "The BETWEEN operator requires upper bound to be "
                            + "greater than or equal to lower bound" + bounds);
                }
            }
            return new Condition.Between(left, low, high);
        }
        if (acceptKeyword("IN")) {
            List<Operand> candidates = arguments(this::operand);
            if (candidates.size() > MAX_IN_OPERANDS) {
                throw DynamoDbException.invalidExpression(which, "The IN operator is provided with too many operands; "
                        + "number of operands: " + candidates.size());
            }
            distinct("IN", left, candidates);
            return new Condition.In(left, candidates);
        }
        Token t = peek();
        if (t.kind != Kind.CMP) {
            if (left instanceof Operand.Size) {
                throw notAllowedThisWay("size");
            }
            throw syntaxError();
        }
        pos++;
        Condition.Comparator op = switch (t.text) {
            case "=" -> Condition.Comparator.EQ;
            case "<>" -> Condition.Comparator.NE;
            case "<" -> Condition.Comparator.LT;
            case "<=" -> Condition.Comparator.LE;
            case ">" -> Condition.Comparator.GT;
            default -> Condition.Comparator.GE;
        };
        Operand right = operand();
        distinct(t.text, left, List.of(right));
        return new Condition.Compare(left, op, right);
    }

    private Condition function() {
        String name = next().text;
        if (UPDATE_FUNCTIONS.contains(name)) {
            throw notAllowedThisWay(name);
        }
        if (!CONDITION_FUNCTIONS.contains(name)) {
            throw DynamoDbException.invalidExpression(which, "Invalid function name; function: " + name);
        }
        List<Operand> args = arguments(this::operand);
        switch (name) {
            case "attribute_exists", "attribute_not_exists" -> {
                arity(name, args, 1);
                return new Condition.Exists(pathOf(name, args.get(0)), name.equals("attribute_exists"));
            }
            case "attribute_type" -> {
                arity(name, args, 2);
                Path path = pathOf(name, args.get(0));
                Operand type = args.get(1);
                if (!(type instanceof Operand.Literal lit) || !(lit.value() instanceof Value.S s)) {
                    throw incorrectOperand(name, type);
                }
                if (!TYPES.contains(s.value())) {
                    throw DynamoDbException.invalidExpression(which, "Invalid attribute type name found; type: "
                            + s.value() + ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
                }
                return new Condition.AttributeType(path, s.value());
            }
            case "begins_with" -> {
                arity(name, args, 2);
                for (Operand o : args) {
                    if (o instanceof Operand.Literal lit && !(lit.value() instanceof Value.S || lit.value() instanceof Value.B)) {
                        throw incorrectOperand(name, o);
                    }
                }
                distinct(name, args.get(0), args.subList(1, 2));
                return new Condition.BeginsWith(args.get(0), args.get(1));
            }
            default -> {
                arity(name, args, 2);
                distinct(name, args.get(0), args.subList(1, 2));
                return new Condition.Contains(args.get(0), args.get(1));
            }
        }
    }

    /** A parenthesized, comma-separated list of operands. */
    private List<Operand> arguments(Supplier<Operand> operand) {
        expect(Kind.LPAREN);
        List<Operand> args = new ArrayList<>();
        do {
            args.add(operand.get());
        } while (accept(Kind.COMMA));
        expect(Kind.RPAREN);
        return args;
    }

    private void arity(String function, List<Operand> args, int expected) {
        if (args.size() != expected) {
            throw DynamoDbException.invalidExpression(which, "Incorrect number of operands for operator or function; "
                    + "operator or function: " + function + ", number of operands: " + args.size());
        }
    }

    private Path pathOf(String function, Operand o) {
        if (o instanceof Operand.PathRef p) {
            return p.path();
        }
        throw DynamoDbException.invalidExpression(which,
                "Operator or function requires a document path; operator or function: " + function);
    }

    /** DynamoDB refuses an operator or function whose first operand appears again among the others. */
    private void distinct(String operator, Operand first, List<Operand> rest) {
        if (rest.contains(first)) {
            String shown = first instanceof Operand.PathRef p ? p.path().toString()
                    : first instanceof Operand.Literal l ? l.name() : "size(" + ((Operand.Size) first).path() + ")";
            throw DynamoDbException.invalidExpression(which, "The first operand must be distinct from the remaining "
                    + "operands for this operator or function; operator: " + operator + ", first operand: " + shown);
        }
    }

    private DynamoDbException notAllowedThisWay(String function) {
        return DynamoDbException.invalidExpression(which,
                "The function is not allowed to be used this way in an expression; function: " + function);
    }

    private DynamoDbException incorrectOperand(String function, Operand o) {
        String type = o instanceof Operand.Literal lit ? lit.value().type() : "path";
        return DynamoDbException.invalidExpression(which, "Incorrect operand type for operator or function; operator "
                + "or function: " + function + ", operand type: " + type);
    }

    /** A path, a :value, or size(path). */
    private Operand operand() {
        Token t = peek();
        if (t.kind == Kind.VALUE_REF) {
            pos++;
            return new Operand.Literal(t.text, placeholders.value(t.text, which));
        }
        if (t.kind == Kind.NAME && peek(1).kind == Kind.LPAREN) {
            pos++;
            if (CONDITION_FUNCTIONS.contains(t.text) || UPDATE_FUNCTIONS.contains(t.text)) {
                throw notAllowedThisWay(t.text);
            }
            if (!t.text.equals("size")) {
                throw DynamoDbException.invalidExpression(which, "Invalid function name; function: " + t.text);
            }
            List<Operand> args = arguments(this::operand);
            arity("size", args, 1);
            return new Operand.Size(pathOf("size", args.get(0)));
        }
        return new Operand.PathRef(path());
    }

    // ---- paths

    private Path path() {
        List<Object> elements = new ArrayList<>();
        elements.add(pathName());
        while (true) {
            if (accept(Kind.DOT)) {
                elements.add(pathName());
            } else if (accept(Kind.LBRACKET)) {
                Token index = next();
                if (index.kind != Kind.INDEX) {
                    unread(index);
                    throw syntaxError();
                }
                try {
                    elements.add(Integer.parseInt(index.text));
                } catch (NumberFormatException e) {
                    throw DynamoDbException.invalidExpression(which, "List index is not within the allowable range; index: ["
                            + index.text + "]");
                }
                expect(Kind.RBRACKET);
            } else {
                return new Path(elements);
            }
        }
    }

    private String pathName() {
        Token t = next();
        if (t.kind == Kind.NAME_REF) {
            return placeholders.name(t.text, which);
        }
        if (t.kind != Kind.NAME) {
            unread(t);
            throw syntaxError();
        }
        if (RESERVED.contains(t.text.toUpperCase(Locale.ROOT))) {
            throw DynamoDbException.invalidExpression(which,
                    "Attribute name is a reserved keyword; reserved keyword: " + t.text);
        }
        return t.text;
    }

    // ---- update expressions

    private UpdateExpression updateClauses() {
        List<UpdateExpression.SetAction> sets = new ArrayList<>();
        List<Path> removes = new ArrayList<>();
        List<UpdateExpression.AddAction> adds = new ArrayList<>();
        List<UpdateExpression.DeleteAction> deletes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        do {
            Token t = peek();
            String clause = t.kind == Kind.NAME ? t.text.toUpperCase(Locale.ROOT) : "";
            if (!List.of("SET", "REMOVE", "ADD", "DELETE").contains(clause)) {
                throw syntaxError();
            }
            pos++;
            if (!seen.add(clause)) {
                throw DynamoDbException.invalidExpression(which,
                        "The \"" + clause + "\" section can only be used once in an update expression;");
            }
            do {
                switch (clause) {
                    case "SET" -> {
                        Path path = path();
                        Token eq = next();
                        if (eq.kind != Kind.CMP || !eq.text.equals("=")) {
                            unread(eq);
                            throw syntaxError();
                        }
                        sets.add(new UpdateExpression.SetAction(path, setValue()));
                    }
                    case "REMOVE" -> removes.add(path());
                    case "ADD" -> {
                        Path path = path();
                        Value v = updateValue("ADD");
                        if (!(v instanceof Value.N || v instanceof Value.SS || v instanceof Value.NS || v instanceof Value.BS)) {
                            throw DynamoDbException.invalidExpression(which, "Incorrect operand type for operator or "
                                    + "function; operator: ADD, operand type: " + longTypeName(v));
                        }
                        adds.add(new UpdateExpression.AddAction(path, v));
                    }
                    default -> {
                        Path path = path();
                        Value v = updateValue("DELETE");
                        if (!(v instanceof Value.SS || v instanceof Value.NS || v instanceof Value.BS)) {
                            throw DynamoDbException.invalidExpression(which, "Incorrect operand type for operator or "
                                    + "function; operator: DELETE, operand type: " + longTypeName(v));
                        }
                        deletes.add(new UpdateExpression.DeleteAction(path, v));
                    }
                }
            } while (accept(Kind.COMMA));
        } while (peek().kind != Kind.EOF);
        return new UpdateExpression(sets, removes, adds, deletes);
    }

    private Value updateValue(String action) {
        Token t = next();
        if (t.kind != Kind.VALUE_REF) {
            unread(t);
            throw syntaxError();
        }
        return placeholders.value(t.text, which);
    }

    private Operand setValue() {
        Operand left = setOperand();
        if (peek().kind == Kind.PLUS || peek().kind == Kind.MINUS) {
            boolean plus = next().kind == Kind.PLUS;
            Operand right = setOperand();
            for (Operand o : List.of(left, right)) {
                if (o instanceof Operand.Literal lit && !(lit.value() instanceof Value.N)) {
                    throw DynamoDbException.invalidExpression(which, "Incorrect operand type for operator or function; "
                            + "operator or function: " + (plus ? "+" : "-") + ", operand type: " + lit.value().type());
                }
            }
            return new Operand.Arithmetic(left, plus, right);
        }
        return left;
    }

    private Operand setOperand() {
        Token t = peek();
        if (t.kind == Kind.VALUE_REF) {
            pos++;
            return new Operand.Literal(t.text, placeholders.value(t.text, which));
        }
        if (t.kind == Kind.NAME && peek(1).kind == Kind.LPAREN) {
            pos++;
            if (CONDITION_FUNCTIONS.contains(t.text) || t.text.equals("size")) {
                throw DynamoDbException.invalidExpression(which,
                        "The function is not allowed in an update expression; function: " + t.text);
            }
            if (!UPDATE_FUNCTIONS.contains(t.text)) {
                throw DynamoDbException.invalidExpression(which, "Invalid function name; function: " + t.text);
            }
            List<Operand> args = arguments(this::setOperand);
            arity(t.text, args, 2);
            if (t.text.equals("if_not_exists")) {
                return new Operand.IfNotExists(pathOf("if_not_exists", args.get(0)), args.get(1));
            }
            for (Operand x : args) {
                if (x instanceof Operand.Literal lit && !(lit.value() instanceof Value.L)) {
                    throw DynamoDbException.invalidExpression(which, "Incorrect operand type for operator or "
                            + "function; operator or function: list_append, operand type: " + lit.value().type());
                }
            }
            return new Operand.ListAppend(args.get(0), args.get(1));
        }
        return new Operand.PathRef(path());
    }

    /** How ADD and DELETE name an operand's type in their errors. */
    private static String longTypeName(Value v) {
        return switch (v.type()) {
            case "S" -> "STRING";
            case "N" -> "NUMBER";
            case "B" -> "BINARY";
            case "BOOL" -> "BOOLEAN";
            case "L" -> "LIST";
            case "M" -> "MAP";
            default -> v.type();
        };
    }

    private static String describe(Value v) {
        return "AttributeValue: {" + v.type() + ":" + Codec.json(v).get(v.type()).asText() + "}";
    }

    // ---- tokens

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.kind != Kind.EOF) {
            pos++;
        }
        return t;
    }

    /** Steps back over a token taken by next() (which never steps past the end). */
    private void unread(Token t) {
        if (t.kind != Kind.EOF) {
            pos--;
        }
    }

    private boolean accept(Kind kind) {
        if (peek().kind == kind) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean acceptKeyword(String keyword) {
        if (peek().kind == Kind.NAME && peek().text.equalsIgnoreCase(keyword)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(Kind kind) {
        if (!accept(kind)) {
            throw syntaxError();
        }
    }

    /** DynamoDB's syntax error: the offending token and its neighbours. */
    private DynamoDbException syntaxError() {
        Token t = peek();
        String token = t.kind == Kind.EOF ? "<EOF>" : t.text;
        StringBuilder near = new StringBuilder();
        for (int i = Math.max(0, pos - 1); i <= Math.min(tokens.size() - 1, pos + 1); i++) {
            if (tokens.get(i).kind != Kind.EOF) {
                near.append(near.length() == 0 ? "" : " ").append(tokens.get(i).text);
            }
        }
        return DynamoDbException.invalidExpression(which, "Syntax error; token: \"" + token + "\", near: \"" + near + "\"");
    }

    private List<Token> lex(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        boolean inBrackets = false;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            if (c == '#' || c == ':') {
                i++;
                while (i < s.length() && isNameChar(s.charAt(i))) {
                    i++;
                }
                if (i == start + 1) {
                    throw lexError(s, start);
                }
                out.add(new Token(c == '#' ? Kind.NAME_REF : Kind.VALUE_REF, s.substring(start, i)));
            } else if (inBrackets && Character.isDigit(c)) {
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                out.add(new Token(Kind.INDEX, s.substring(start, i)));
            } else if (Character.isLetter(c) || c == '_') {
                while (i < s.length() && isNameChar(s.charAt(i))) {
                    i++;
                }
                out.add(new Token(Kind.NAME, s.substring(start, i)));
            } else {
                i++;
                switch (c) {
                    case '(' -> out.add(new Token(Kind.LPAREN, "("));
                    case ')' -> out.add(new Token(Kind.RPAREN, ")"));
                    case '[' -> {
                        out.add(new Token(Kind.LBRACKET, "["));
                        inBrackets = true;
                    }
                    case ']' -> {
                        out.add(new Token(Kind.RBRACKET, "]"));
                        inBrackets = false;
                    }
                    case ',' -> out.add(new Token(Kind.COMMA, ","));
                    case '.' -> out.add(new Token(Kind.DOT, "."));
                    case '+' -> out.add(new Token(Kind.PLUS, "+"));
                    case '-' -> out.add(new Token(Kind.MINUS, "-"));
                    case '=' -> out.add(new Token(Kind.CMP, "="));
                    case '<' -> {
                        if (i < s.length() && (s.charAt(i) == '=' || s.charAt(i) == '>')) {
                            out.add(new Token(Kind.CMP, "<" + s.charAt(i++)));
                        } else {
                            out.add(new Token(Kind.CMP, "<"));
                        }
                    }
                    case '>' -> {
                        if (i < s.length() && s.charAt(i) == '=') {
                            i++;
                            out.add(new Token(Kind.CMP, ">="));
                        } else {
                            out.add(new Token(Kind.CMP, ">"));
                        }
                    }
                    default -> throw lexError(s, start);
                }
            }
        }
        out.add(new Token(Kind.EOF, ""));
        return out;
    }

    private DynamoDbException lexError(String s, int at) {
        return DynamoDbException.invalidExpression(which, "Syntax error; token: \"" + s.charAt(at) + "\", near: \""
                + s.substring(Math.max(0, at - 1), Math.min(s.length(), at + 2)) + "\"");
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static Set<String> loadReservedWords() {
        Set<String> words = new HashSet<>();
        InputStream in = ExpressionParser.class.getResourceAsStream("reserved-words.txt");
        if (in == null) {
            throw new IllegalStateException("reserved-words.txt is missing from the emulator's jar");
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    words.add(line.trim().toUpperCase(Locale.ROOT));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Set.copyOf(words);
    }
}
