package io.metronome.api;

import java.util.List;
import java.util.Locale;

/**
 * Content negotiation by a request's {@code Accept} header (RFC 9110, section 12.5.1): of the media types a
 * route can answer with, the one the header gives the highest weight, each weighed by the most specific range
 * that matches it ({@code text/event-stream}, then {@code text/*}, then {@code *}{@code /*}); a tie goes to the
 * route's first. No header, or an empty one: the route's first. Parameters other than {@code q} are ignored, and
 * so is a range that cannot be read.
 */
public final class Accept {
    private Accept() {
    }

    /** @return one of {@code offered}, or null when the header accepts none of them (a 406) */
    public static String choose(String header, List<String> offered) {
        if (header == null || header.isBlank()) {
            return offered.get(0);
        }
        String best = null;
        double bestQ = 0;
        for (String type : offered) {
            double q = weight(header, type);
            if (q > bestQ) {
                best = type;
                bestQ = q;
            }
        }
        return best;
    }

    /** The weight the header gives one media type: that of its most specific matching range, 0 if none. */
    static double weight(String header, String type) {
        String major = type.substring(0, type.indexOf('/'));
        int bestSpecificity = -1;
        double q = 0;
        for (String part : header.split(",")) {
            String[] pieces = part.split(";");
            String range = pieces[0].trim().toLowerCase(Locale.ROOT);
            int specificity = range.equals(type) ? 2 : range.equals(major + "/*") ? 1 : range.equals("*/*") ? 0 : -1;
            if (specificity <= bestSpecificity) {
                continue;
            }
            Double weight = 1.0;
            for (int i = 1; i < pieces.length; i++) {
                String p = pieces[i].trim();
                if (p.length() > 2 && p.substring(0, 2).equalsIgnoreCase("q=")) {
                    weight = parseWeight(p.substring(2).trim());
                }
            }
            if (weight != null) {
                bestSpecificity = specificity;
                q = weight;
            }
        }
        return q;
    }

    /** A qvalue: 0 to 1, at most three decimals; anything else null. */
    private static Double parseWeight(String v) {
        if (!v.matches("0(\\.[0-9]{0,3})?|1(\\.0{0,3})?")) {
            return null;
        }
        return Double.parseDouble(v);
    }
}
