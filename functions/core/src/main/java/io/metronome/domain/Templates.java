package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.expr.Expressions;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Strings with embedded expressions, {@code "https://api.example.com/items/{{ input.id }}"}, as http nodes use. */
public final class Templates {
    private static final Pattern EXPR = Pattern.compile("\\{\\{(.+?)}}");

    private Templates() {
    }

    public static boolean isTemplate(String text) {
        return EXPR.matcher(text).find();
    }

    public static List<String> expressions(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = EXPR.matcher(text);
        while (m.find()) {
            out.add(m.group(1).trim());
        }
        return out;
    }

    public static String render(String text, JsonNode context) {
        Matcher m = EXPR.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            JsonNode v = Expressions.evaluate(m.group(1).trim(), context);
            m.appendReplacement(sb, Matcher.quoteReplacement(v.isTextual() ? v.textValue() : v.isNull() ? "" : v.toString()));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
