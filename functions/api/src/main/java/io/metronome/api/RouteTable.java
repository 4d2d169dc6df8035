package io.metronome.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The API's routes as API Gateway matches them: a method and a path template whose {@code {name}} segments each
 * match one non-empty segment, and whose last segment may be greedy, {@code {name+}}, matching the rest of the path
 * (one segment or more, not empty as a whole: {@code /console/{proxy+}} takes {@code /console/a/b.js}, whose
 * {@code proxy} is {@code a/b.js}, but not {@code /console/}). Decides, for a request, which route it is, or that its path has routes but none for
 * its method (405, with the methods it has), or that no route has its path (404). A literal segment is preferred
 * to a variable one, as API Gateway prefers the most specific route.
 */
public final class RouteTable {
    /** The OpenAPI document, copied into the jar at build time: the one list of routes. */
    static final String OPENAPI_RESOURCE = "/io/metronome/api/openapi.yaml";
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    /** One path template and the methods it has. */
    private record Template(String path, List<String> segments, Set<String> methods) {
        boolean matches(List<String> request) {
            boolean greedy = isGreedy(segments.get(segments.size() - 1));
            if (greedy ? request.size() < segments.size() : request.size() != segments.size()) {
                return false;
            }
            for (int i = 0; i < segments.size(); i++) {
                String s = segments.get(i);
                String r = request.get(i);
                if (greedy && i == segments.size() - 1) {
                    return !rest(request, i).isEmpty();
                }
                if (isVariable(s) ? r.isEmpty() : !s.equals(r)) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Literal segments before variable ones, variable ones before a greedy one, from the left: the most
         * specific template sorts first.
         */
        String specificity() {
            StringBuilder b = new StringBuilder();
            segments.forEach(s -> b.append(isGreedy(s) ? '2' : isVariable(s) ? '1' : '0'));
            return b.toString();
        }
    }

    /** What a request is, for the routes. */
    public sealed interface Match permits Found, MethodNotAllowed, NotFound {
    }

    /** The route {@code method path} (its template), with the path's variables as they came (not decoded). */
    public record Found(String method, String path, Map<String, String> parameters) implements Match {
        public String routeKey() {
            return method + " " + path;
        }
    }

    /** The path is a route's, but not with this method; {@code allowed} in alphabetical order. */
    public record MethodNotAllowed(String path, Set<String> allowed) implements Match {
        /** The value of the {@code Allow} header. */
        public String allowHeader() {
            return String.join(", ", allowed);
        }
    }

    public record NotFound() implements Match {
    }

    private final List<Template> templates;

    private RouteTable(List<Template> templates) {
        this.templates = templates;
    }

    /** From route keys such as {@code GET /v1/metronomes/{metronomeId}}. */
    public static RouteTable of(Collection<String> routeKeys) {
        Map<String, Set<String>> byPath = new LinkedHashMap<>();
        for (String key : routeKeys) {
            int space = key.indexOf(' ');
            if (space < 1 || !key.startsWith("/", space + 1)) {
                throw new IllegalArgumentException("not a route key (METHOD /path): " + key);
            }
            byPath.computeIfAbsent(key.substring(space + 1), p -> new TreeSet<>())
                    .add(key.substring(0, space).toUpperCase(Locale.ROOT));
        }
        List<Template> templates = new ArrayList<>();
        byPath.forEach((path, methods) -> templates.add(new Template(path, segments(path), Set.copyOf(methods))));
        templates.sort(Comparator.comparing(Template::specificity));
        return new RouteTable(List.copyOf(templates));
    }

    /** The routes of the OpenAPI document bundled with the API: every path and each of its operations. */
    public static RouteTable fromOpenApi() {
        try (InputStream in = RouteTable.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the classpath");
            }
            return fromOpenApi(new YAMLMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + OPENAPI_RESOURCE, e);
        }
    }

    static RouteTable fromOpenApi(JsonNode document) {
        List<String> keys = new ArrayList<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(op -> {
            if (HTTP_METHODS.contains(op)) {
                keys.add(op.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        if (keys.isEmpty()) {
            throw new IllegalStateException("the OpenAPI document lists no operations");
        }
        return of(keys);
    }

    /** Every route, as {@code METHOD /path} keys. */
    public Set<String> routeKeys() {
        Set<String> keys = new TreeSet<>();
        templates.forEach(t -> t.methods().forEach(m -> keys.add(m + " " + t.path())));
        return keys;
    }

    /** @param path the request's path, e.g. {@code /v1/metronomes/met_1/runs} */
    public Match match(String method, String path) {
        return match(method, segments(path));
    }

    /** @param segments the path's segments (what lies between its slashes), already decoded if the caller decodes */
    public Match match(String method, List<String> segments) {
        String m = method.toUpperCase(Locale.ROOT);
        java.util.SortedSet<String> allowed = new TreeSet<>();
        String allowedPath = null;
        for (Template t : templates) {
            if (!t.matches(segments)) {
                continue;
            }
            if (t.methods().contains(m)) {
                Map<String, String> parameters = new LinkedHashMap<>();
                for (int i = 0; i < t.segments().size(); i++) {
                    String s = t.segments().get(i);
                    if (isGreedy(s)) {
                        parameters.put(s.substring(1, s.length() - 2), rest(segments, i));
                    } else if (isVariable(s)) {
                        parameters.put(s.substring(1, s.length() - 1), segments.get(i));
                    }
                }
                return new Found(m, t.path(), parameters);
            }
            allowed.addAll(t.methods());
            allowedPath = allowedPath == null ? t.path() : allowedPath;
        }
        return allowed.isEmpty() ? new NotFound()
                : new MethodNotAllowed(allowedPath, Collections.unmodifiableSortedSet(allowed));
    }

    /** The segments between the slashes of an absolute path: {@code /a/b} is [a, b], {@code /} is [""]. */
    public static List<String> segments(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        return Arrays.asList(p.split("/", -1));
    }

    /**
     * The name of the route parameter that segment {@code index} of a request falls in, for a template: its
     * variable, the greedy one for any segment from it on, or null for a literal segment.
     */
    public static String parameterAt(String template, int index) {
        List<String> t = segments(template);
        String s = index < t.size() ? t.get(index) : isGreedy(t.get(t.size() - 1)) ? t.get(t.size() - 1) : null;
        if (s == null || !isVariable(s)) {
            return null;
        }
        return s.substring(1, s.length() - (isGreedy(s) ? 2 : 1));
    }

    private static String rest(List<String> segments, int from) {
        return String.join("/", segments.subList(from, segments.size()));
    }

    private static boolean isVariable(String segment) {
        return segment.length() > 2 && segment.startsWith("{") && segment.endsWith("}");
    }

    private static boolean isGreedy(String segment) {
        return isVariable(segment) && segment.endsWith("+}") && segment.length() > 3;
    }
}
