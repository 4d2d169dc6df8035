package io.metronome.local;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of {@code template.yaml} the local stack runs: functions (handler, HTTP routes, SQS sources), the
 * HTTP API's default authorizer, the DynamoDB tables and SQS queues, and the functions' environment. CloudFormation
 * short tags ({@code !Ref}, {@code !GetAtt}, {@code !Sub}, ...) are read as their long forms
 * ({@code {"Ref": ...}}, {@code {"Fn::GetAtt": [...]}}).
 */
public final class SamTemplate {
    public record Route(String method, String path, boolean authorized, String functionId, String handler) {
        /** API Gateway's route key: {@code GET /health}, or {@code $default}. */
        public String routeKey() {
            return path.equals(DEFAULT_ROUTE) ? DEFAULT_ROUTE : method + " " + path;
        }
    }

    /** The HTTP API's route for requests no other route takes (an HttpApi event with neither Path nor Method). */
    public static final String DEFAULT_ROUTE = "$default";

    /**
     * An SQS event source mapping: the function's handler, and how Lambda invokes it (batches of at most
     * {@code batchSize} messages, each invocation ended after the function's {@code timeout}).
     */
    public record QueueSource(String functionId, String handler, String queueId, int batchSize, int maxConcurrency,
                              java.time.Duration timeout, int memoryMb) {
    }

    /** A function fed by a table's stream (a {@code DynamoDB} event), as its event source mapping says. */
    public record StreamSource(String functionId, String handler, String tableId, int batchSize,
                               String startingPosition, java.time.Duration timeout, int memoryMb) {
    }

    /** Lambda's defaults for a function that (and whose Globals) do not say. */
    static final int DEFAULT_TIMEOUT_SECONDS = 3;
    static final int DEFAULT_MEMORY_MB = 128;

    private final Map<String, Object> root;

    private SamTemplate(Map<String, Object> root) {
        this.root = root;
    }

    public static SamTemplate load(Path file) {
        Yaml yaml = new Yaml(new CfnConstructor(new LoaderOptions()));
        try (Reader in = Files.newBufferedReader(file)) {
            return new SamTemplate(map(yaml.load(in)));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public Map<String, Object> raw() {
        return root;
    }

    public Map<String, Map<String, Object>> resources(String type) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        map(root.get("Resources")).forEach((id, r) -> {
            Map<String, Object> resource = map(r);
            if (type.equals(resource.get("Type"))) {
                out.put(id, resource);
            }
        });
        return out;
    }

    public static Map<String, Object> properties(Map<String, Object> resource) {
        return map(resource.get("Properties"));
    }

    /** The environment every function gets (Globals), with the template's expressions unresolved. */
    public Map<String, Object> globalEnvironment() {
        return map(map(map(map(root.get("Globals")).get("Function")).get("Environment")).get("Variables"));
    }

    public String defaultAuthorizerFunction() {
        for (Map<String, Object> api : resources("AWS::Serverless::HttpApi").values()) {
            Map<String, Object> auth = map(properties(api).get("Auth"));
            Object name = auth.get("DefaultAuthorizer");
            if (name != null) {
                Map<String, Object> authorizer = map(map(auth.get("Authorizers")).get(name));
                Object arn = authorizer.get("FunctionArn");
                if (arn instanceof Map<?, ?> getAtt && getAtt.get("Fn::GetAtt") instanceof List<?> parts) {
                    return String.valueOf(parts.get(0));
                }
                // !Ref Function.Alias: the published alias AutoPublishAlias makes
                if (arn instanceof Map<?, ?> ref && ref.get("Ref") instanceof String alias && alias.endsWith(".Alias")) {
                    return alias.substring(0, alias.length() - ".Alias".length());
                }
            }
        }
        return null;
    }

    public String handler(String functionId) {
        return String.valueOf(properties(resources("AWS::Serverless::Function").get(functionId)).get("Handler"));
    }

    /** The HTTP API's routes with a method and a path; the {@code $default} route is {@link #defaultRoute()}. */
    public List<Route> routes() {
        return httpRoutes().stream().filter(r -> !r.path().equals(DEFAULT_ROUTE)).toList();
    }

    public java.util.Optional<Route> defaultRoute() {
        return httpRoutes().stream().filter(r -> r.path().equals(DEFAULT_ROUTE)).findFirst();
    }

    private List<Route> httpRoutes() {
        List<Route> routes = new ArrayList<>();
        resources("AWS::Serverless::Function").forEach((id, fn) -> map(properties(fn).get("Events")).values().forEach(e -> {
            Map<String, Object> event = map(e);
            if ("HttpApi".equals(event.get("Type"))) {
                Map<String, Object> p = map(event.get("Properties"));
                boolean none = "NONE".equals(map(p.get("Auth")).get("Authorizer"));
                boolean isDefault = p.get("Path") == null && p.get("Method") == null;
                routes.add(new Route(isDefault ? "ANY" : String.valueOf(p.get("Method")).toUpperCase(),
                        isDefault ? DEFAULT_ROUTE : String.valueOf(p.get("Path")), !none, id, handler(id)));
            }
        }));
        return routes;
    }

    /** Functions run on a schedule (rate expressions, a parameter in them at its default), with their period. */
    public Map<String, java.time.Duration> scheduledFunctions() {
        Map<String, java.time.Duration> out = new LinkedHashMap<>();
        resources("AWS::Serverless::Function").forEach((id, fn) -> map(properties(fn).get("Events")).values().forEach(e -> {
            Map<String, Object> event = map(e);
            if ("Schedule".equals(event.get("Type"))) {
                String rate = withDefaults(map(event.get("Properties")).get("Schedule"));
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("rate\\((\\d+) minutes?\\)").matcher(rate);
                if (m.matches()) {
                    out.put(id, java.time.Duration.ofMinutes(Long.parseLong(m.group(1))));
                }
            }
        }));
        return out;
    }

    /** A string, or a {@code !Sub} of one with the template's parameters at their defaults. */
    private String withDefaults(Object value) {
        if (!(value instanceof Map<?, ?> sub) || !(sub.get("Fn::Sub") instanceof String text)) {
            return String.valueOf(value);
        }
        Map<String, Object> parameters = map(root.get("Parameters"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$\\{([^}]+)}").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Object fallback = map(parameters.get(m.group(1))).getOrDefault("Default", m.group());
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(String.valueOf(fallback)));
        }
        m.appendTail(out);
        return out.toString();
    }

    public List<QueueSource> queueSources() {
        List<QueueSource> sources = new ArrayList<>();
        resources("AWS::Serverless::Function").forEach((id, fn) -> map(properties(fn).get("Events")).values().forEach(e -> {
            Map<String, Object> event = map(e);
            if ("SQS".equals(event.get("Type"))) {
                Map<String, Object> p = map(event.get("Properties"));
                String queue = String.valueOf(((List<?>) map(p.get("Queue")).get("Fn::GetAtt")).get(0));
                int batch = p.get("BatchSize") instanceof Number n ? n.intValue() : 10;
                sources.add(new QueueSource(id, handler(id), queue, batch, localConcurrency(p.get("ScalingConfig")),
                        java.time.Duration.ofSeconds(functionNumber(id, "Timeout", DEFAULT_TIMEOUT_SECONDS)),
                        functionNumber(id, "MemorySize", DEFAULT_MEMORY_MB)));
            }
        }));
        return sources;
    }

    /** Concurrent invocations a laptop gives one queue: the mapping's maximum, at most this many. */
    static final int LOCAL_MAX_CONCURRENCY = 4;

    /** The mapping's {@code ScalingConfig.MaximumConcurrency} (a number or a parameter's default), capped locally. */
    private int localConcurrency(Object scalingConfig) {
        Object max = map(scalingConfig).get("MaximumConcurrency");
        if (max instanceof Map<?, ?> ref && ref.get("Ref") instanceof String parameter) {
            max = map(map(root.get("Parameters")).get(parameter)).get("Default");
        }
        int value = max instanceof Number n ? n.intValue() : max instanceof String s ? Integer.parseInt(s) : LOCAL_MAX_CONCURRENCY;
        return Math.max(1, Math.min(value, LOCAL_MAX_CONCURRENCY));
    }

    public List<StreamSource> streamSources() {
        List<StreamSource> sources = new ArrayList<>();
        resources("AWS::Serverless::Function").forEach((id, fn) -> map(properties(fn).get("Events")).values().forEach(e -> {
            Map<String, Object> event = map(e);
            if ("DynamoDB".equals(event.get("Type"))) {
                Map<String, Object> p = map(event.get("Properties"));
                String table = String.valueOf(((List<?>) map(p.get("Stream")).get("Fn::GetAtt")).get(0));
                int batch = p.get("BatchSize") instanceof Number n ? n.intValue() : 100;
                sources.add(new StreamSource(id, handler(id), table, batch,
                        String.valueOf(p.getOrDefault("StartingPosition", "TRIM_HORIZON")),
                        java.time.Duration.ofSeconds(functionNumber(id, "Timeout", DEFAULT_TIMEOUT_SECONDS)),
                        functionNumber(id, "MemorySize", DEFAULT_MEMORY_MB)));
            }
        }));
        return sources;
    }

    /** A function's numeric setting (Timeout, MemorySize) as Lambda applies it: its own, else the Globals', else the default. */
    public int functionNumber(String functionId, String name, int lambdaDefault) {
        Object own = properties(resources("AWS::Serverless::Function").get(functionId)).get(name);
        Object global = map(map(root.get("Globals")).get("Function")).get(name);
        return own instanceof Number n ? n.intValue() : global instanceof Number g ? g.intValue() : lambdaDefault;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Reads CloudFormation's short-form intrinsic functions as their long forms. */
    private static final class CfnConstructor extends SafeConstructor {
        CfnConstructor(LoaderOptions options) {
            super(options);
            for (String fn : List.of("Ref", "Condition", "GetAtt", "Sub", "Join", "If", "Equals", "Not", "And", "Or",
                    "Select", "Split", "FindInMap", "ImportValue", "Base64", "Cidr", "GetAZs", "Transform")) {
                yamlConstructors.put(new Tag("!" + fn), new Intrinsic(fn));
            }
        }

        private final class Intrinsic extends AbstractConstruct {
            private final String fn;

            Intrinsic(String fn) {
                this.fn = fn;
            }

            @Override
            public Object construct(Node node) {
                Object value;
                if (node instanceof ScalarNode s) {
                    value = constructScalar(s);
                } else if (node instanceof SequenceNode q) {
                    value = constructSequence(q);
                } else {
                    value = constructMapping((MappingNode) node);
                }
                if (fn.equals("GetAtt") && value instanceof String s) {
                    value = List.of(s.split("\\.", 2));
                }
                String key = fn.equals("Ref") || fn.equals("Condition") ? fn : "Fn::" + fn;
                Map<String, Object> out = new LinkedHashMap<>();
                out.put(key, value);
                return out;
            }
        }
    }
}
