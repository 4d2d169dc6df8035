package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;

/**
 * What every JSON body must be besides well-formed: nested at most {@link #MAX_DEPTH} levels (everything that
 * reads a body later, expressions included, recurses over it), and text that is valid Unicode (a lone UTF-16
 * surrogate, which JSON's \\u escapes can express, has no UTF-8 form: stored, it would come back as '?').
 */
public final class BodyLimits {
    public static final int MAX_DEPTH = 64;

    private BodyLimits() {
    }

    /** @throws ApiException 400 naming the first place that breaks a rule */
    public static void check(JsonNode body) {
        check(body, "", 1);
    }

    private static void check(JsonNode node, String path, int depth) {
        if (node.isContainerNode() && depth > MAX_DEPTH) {
            throw ApiException.validation(path.isEmpty() ? "$" : path, "nested deeper than " + MAX_DEPTH + " levels");
        }
        if (node.isTextual()) {
            int bad = unpairedSurrogate(node.textValue());
            if (bad >= 0) {
                throw ApiException.validation(path.isEmpty() ? "$" : path, "is not valid Unicode (an unpaired UTF-16 "
                        + "surrogate at character " + bad + ")");
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String child = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                if (unpairedSurrogate(e.getKey()) >= 0) {
                    throw ApiException.validation(path.isEmpty() ? "$" : path, "has a field name that is not valid Unicode");
                }
                check(e.getValue(), child, depth + 1);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), path + "[" + i + "]", depth + 1);
            }
        }
    }

    /** The index of the first unpaired surrogate, or -1 when the text is valid UTF-16. */
    public static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
