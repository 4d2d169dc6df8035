package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.expr.References;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a node's configuration reads from the run, from the paths of its expressions: every string in the config
 * is looked at as an expression and as a template ({@code "... {{ nodes.a.id }} ..."}), and what it refers to
 * is collected. Strings that are not expressions (a prompt, a method) either do not parse or read nothing, so
 * looking at too many strings only ever reads a little more, never less.
 */
final class ExpressionReads {
    private ExpressionReads() {
    }

    static Definition.Reads of(JsonNode config) {
        List<String> expressions = new ArrayList<>();
        collect(config, expressions);
        Set<String> nodes = new LinkedHashSet<>();
        boolean input = false;
        boolean item = false;
        for (String e : expressions) {
            References r;
            try {
                r = References.of(e);
            } catch (RuntimeException notAnExpression) {
                continue;
            }
            nodes.addAll(r.nodes());
            input |= r.input();
            item |= r.item();
        }
        return new Definition.Reads(Set.copyOf(nodes), input, item);
    }

    private static void collect(JsonNode v, List<String> out) {
        if (v == null) {
            return;
        }
        if (v.isTextual()) {
            out.add(v.textValue());
            out.addAll(Templates.expressions(v.textValue()));
        } else if (v.isContainerNode()) {
            v.forEach(child -> collect(child, out));
        }
    }
}
