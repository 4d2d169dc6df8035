package io.metronome.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException.ErrorDetail;
import io.metronome.domain.Definition.Edge;
import io.metronome.domain.Definition.Node;
import io.metronome.domain.Definition.NodeType;
import io.metronome.domain.Definition.Retry;
import io.metronome.egress.EgressPolicy;
import io.metronome.expr.Expressions;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses and validates a definition, collecting every problem with the JSON path it sits at, so a user fixes
 * them all in one round trip. Anything accepted here can be executed.
 *
 * <p>Every check is linear in the nodes and edges (hash lookups, one depth-first search), so a definition at the
 * limits parses in about the time it takes to parse its expressions.
 */
public final class DefinitionParser {
    /**
     * Children of one map running at once. Each running child is an entry on the run item, and every write to
     * the run item costs its size: at 100, about 15 KB, so a child's writes stay cheap (see infra/dynamodb.md).
     */
    public static final int MAX_MAP_CONCURRENCY = 100;
    private final Map<String, Node> iterators = new HashMap<>();
    public static final int MAX_NODES = 2_000;
    /** Twice {@link #MAX_NODES}: a chain needs one edge per node, a fan-out joined again two per parallel node. */
    public static final int MAX_EDGES = 4_000;
    /** The longest an http node may wait for its exchange ({@code timeoutMs}); the worker's timeout is sized on it. */
    public static final int MAX_HTTP_TIMEOUT_MS = 60_000;
    /** The highest cost budget, in cents: a million dollars. */
    public static final double MAX_BUDGET_CT = 100_000_000;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Set<String> HTTP_METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");

    private final List<ErrorDetail> errors = new ArrayList<>();
    private final String base;
    private final EgressPolicy egress;

    private DefinitionParser(String base, EgressPolicy egress) {
        this.base = base;
        this.egress = egress;
    }

    /**
     * @param json the {@code definition} object
     * @param base the JSON path of that object in the request, for error details (e.g. {@code definition})
     * @throws ApiException a validation error naming every offending path
     */
    public static Definition parse(JsonNode json, String base) {
        return parse(json, base, null);
    }

    /**
     * As {@link #parse(JsonNode, String)}, for a definition being saved: a literal URL the egress policy refuses
     * (an address literal, or {@code localhost}) is an error too. Stored definitions are read without it.
     *
     * @param egress the policy, or null for none
     */
    public static Definition parse(JsonNode json, String base, EgressPolicy egress) {
        DefinitionParser p = new DefinitionParser(base, egress);
        Definition d = p.doParse(json);
        if (!p.errors.isEmpty()) {
            throw ApiException.validation(p.errors);
        }
        return d;
    }

    private void error(String path, String message) {
        errors.add(new ErrorDetail(path.isEmpty() ? base : base + path, message));
    }

    private Definition doParse(JsonNode json) {
        if (json == null || !json.isObject()) {
            error("", "must be an object with nodes and edges");
            return null;
        }
        JsonNode nodesJson = json.get("nodes");
        JsonNode edgesJson = json.path("edges");
        if (nodesJson == null || !nodesJson.isArray() || nodesJson.isEmpty()) {
            error(".nodes", "must be a non-empty array");
            return null;
        }
        if (nodesJson.size() > MAX_NODES) {
            error(".nodes", "at most " + MAX_NODES + " nodes");
            return null;
        }
        if (!edgesJson.isMissingNode() && !edgesJson.isNull() && !edgesJson.isArray()) {
            error(".edges", "must be an array");
            return null;
        }
        if (edgesJson.size() > MAX_EDGES) {
            error(".edges", "at most " + MAX_EDGES + " edges");
            return null;
        }
        JsonNode budget = json.get("budgetCt");
        if (budget != null && !budget.isNull() && (!budget.isNumber() || budget.asDouble() < 0
                || budget.asDouble() > MAX_BUDGET_CT)) {
            error(".budgetCt", "must be a number of cents from 0 to " + (long) MAX_BUDGET_CT
                    + ": each run pauses before a node that costs once its steps have cost that much");
        }
        List<Node> nodes = new ArrayList<>();
        // Each id's place in the request, for errors found after parsing (an unreachable node).
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < nodesJson.size(); i++) {
            Node n = parseNode(nodesJson.get(i), ".nodes[" + i + "]");
            if (n != null) {
                if (ids.putIfAbsent(n.id(), i) != null) {
                    error(".nodes[" + i + "].id", "duplicate node id '" + n.id() + "'");
                } else {
                    nodes.add(n);
                }
            }
        }
        List<Edge> edges = new ArrayList<>();
        Set<String> edgeIds = new HashSet<>();
        if (edgesJson.isArray()) {
            for (int i = 0; i < edgesJson.size(); i++) {
                Edge e = parseEdge(edgesJson.get(i), ".edges[" + i + "]", ids.keySet(), edgeIds);
                if (e != null) {
                    edges.add(e);
                }
            }
        }
        if (!errors.isEmpty()) {
            return null;
        }
        Map<String, Node> byId = new HashMap<>();
        nodes.forEach(n -> byId.put(n.id(), n));
        checkBranchEdges(byId, edges);
        String start = startNode(json, nodes, byId, edges);
        if (start == null || !errors.isEmpty()) {
            return null;
        }
        checkGraph(start, nodes, edges, ids);
        if (!errors.isEmpty()) {
            return null;
        }
        ObjectNode normalised = json.deepCopy();
        normalised.put("startNodeId", start);
        if (!normalised.has("edges")) {
            normalised.putArray("edges");
        }
        return new Definition(start, nodes, edges, normalised, iterators);
    }

    private Node parseNode(JsonNode json, String path) {
        if (!json.isObject()) {
            error(path, "must be an object");
            return null;
        }
        String id = text(json, "id", path);
        String typeName = text(json, "type", path);
        if (id == null || typeName == null) {
            return null;
        }
        if (!ID.matcher(id).matches()) {
            error(path + ".id", "must be 1 to 64 letters, digits, '-' or '_'");
        }
        NodeType type = NodeType.fromWire(typeName);
        if (type == null) {
            error(path + ".type", "unknown node type '" + typeName
                    + "'; one of transform, branch, delay, approval, http, succeed, fail, llm, sqs, stepFunction");
            return null;
        }
        JsonNode config = json.path("config");
        if (config.isMissingNode() || config.isNull()) {
            config = Json.object();
        }
        if (!config.isObject()) {
            error(path + ".config", "must be an object");
            return null;
        }
        checkConfig(type, config, path + ".config");
        Retry retry = parseRetry(json.get("retry"), path + ".retry");
        if (type == NodeType.MAP) {
            Node iterator = parseIterator(config.get("iterator"), path + ".config.iterator");
            if (iterator != null) {
                iterators.put(id, iterator);
            }
        }
        return new Node(id, type, config, retry);
    }

    /** The node a map runs once per element: any type that does its own work (not a branch, end or map). */
    private Node parseIterator(JsonNode json, String path) {
        if (json == null || !json.isObject()) {
            error(path, "required: the node to run per element, {type, config, retry?}");
            return null;
        }
        NodeType type = NodeType.fromWire(json.path("type").asText(""));
        if (type == NodeType.MAP || type == NodeType.BRANCH || type == NodeType.SUCCEED || type == NodeType.FAIL) {
            error(path + ".type", "a map runs one of transform, delay, approval, http, llm, sqs, stepFunction");
            return null;
        }
        if (json.has("id")) {
            error(path + ".id", "not allowed: each child is named after its map, <mapId>[<index>]");
            return null;
        }
        ObjectNode named = json.deepCopy();
        named.put("id", "iterator");
        return parseNode(named, path);
    }

    private Retry parseRetry(JsonNode json, String path) {
        if (json == null || json.isNull()) {
            return null;
        }
        if (!json.isObject()) {
            error(path, "must be an object");
            return null;
        }
        int max = json.path("maxAttempts").asInt(-1);
        if (!json.path("maxAttempts").isInt() || max < 1 || max > 20) {
            error(path + ".maxAttempts", "must be an integer from 1 to 20");
        }
        double interval = json.has("intervalSeconds") ? json.path("intervalSeconds").asDouble(-1) : 1;
        if (json.has("intervalSeconds") && (!json.get("intervalSeconds").isNumber() || interval < 0 || interval > 86_400)) {
            error(path + ".intervalSeconds", "must be a number from 0 to 86400");
        }
        double backoff = json.has("backoffRate") ? json.path("backoffRate").asDouble(-1) : 2;
        if (json.has("backoffRate") && (!json.get("backoffRate").isNumber() || backoff < 1 || backoff > 10)) {
            error(path + ".backoffRate", "must be a number from 1 to 10");
        }
        return new Retry(max, interval, backoff);
    }

    private void checkConfig(NodeType type, JsonNode config, String path) {
        switch (type) {
            case TRANSFORM -> expression(config, "expression", path, true);
            case SUCCEED -> expression(config, "output", path, false);
            case FAIL -> {
                JsonNode error = config.get("error");
                if (error == null || !error.isTextual() || error.asText().isBlank()) {
                    error(path + ".error", "required: a non-empty string");
                }
            }
            case APPROVAL -> {
                JsonNode prompt = config.get("prompt");
                if (prompt == null || !prompt.isTextual() || prompt.asText().isBlank()) {
                    error(path + ".prompt", "required: a non-empty string");
                }
                JsonNode onReject = config.get("onReject");
                if (onReject != null && !(onReject.isTextual() && Set.of("fail", "continue").contains(onReject.asText()))) {
                    error(path + ".onReject", "must be 'fail' or 'continue'");
                }
            }
            case DELAY -> {
                boolean hasSeconds = config.has("seconds");
                boolean hasUntil = config.has("until");
                if (hasSeconds == hasUntil) {
                    error(path, "needs exactly one of 'seconds' or 'until'");
                } else if (hasSeconds) {
                    JsonNode s = config.get("seconds");
                    if (!s.isNumber() || s.asDouble() < 0 || s.asDouble() > 365L * 86_400) {
                        error(path + ".seconds", "must be a number of seconds from 0 to 31536000");
                    }
                } else {
                    expression(config, "until", path, true);
                }
                JsonNode onPause = config.get("onPause");
                if (onPause != null && !(onPause.isTextual()
                        && Set.of(PauseClock.KEEP_DEADLINE, PauseClock.FREEZE).contains(onPause.asText()))) {
                    error(path + ".onPause", "must be 'keepDeadline' (the default: a pause does not move the deadline) "
                            + "or 'freeze' (the time left is kept through a pause)");
                }
            }
            case HTTP -> {
                JsonNode method = config.get("method");
                if (method == null || !method.isTextual() || !HTTP_METHODS.contains(method.asText())) {
                    error(path + ".method", "required: one of " + String.join(", ", HTTP_METHODS.stream().sorted().toList()));
                }
                JsonNode url = config.get("url");
                if (url == null || !url.isTextual() || url.asText().isBlank()) {
                    error(path + ".url", "required: a URL, or an expression in {{ }}");
                } else if (!Templates.isTemplate(url.asText())) {
                    try {
                        URI u = URI.create(url.asText());
                        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                            error(path + ".url", "must be an http or https URL");
                        } else if (u.getHost() == null) {
                            error(path + ".url", "has no valid host name");
                        } else if (egress != null) {
                            egress.refusal(u).ifPresent(reason -> error(path + ".url", reason));
                        }
                    } catch (IllegalArgumentException e) {
                        error(path + ".url", "is not a URL");
                    }
                } else {
                    templates(url.asText(), path + ".url");
                }
                JsonNode headers = config.get("headers");
                if (headers != null && !headers.isObject()) {
                    error(path + ".headers", "must be an object of header names to strings");
                } else if (headers != null) {
                    headers.fields().forEachRemaining(h -> {
                        if (!h.getValue().isTextual()) {
                            error(path + ".headers." + h.getKey(), "must be a string");
                        } else {
                            templates(h.getValue().asText(), path + ".headers." + h.getKey());
                        }
                    });
                }
                if (config.has("body") && config.get("body").isTextual()) {
                    expression(config, "body", path, false);
                }
                JsonNode timeout = config.get("timeoutMs");
                if (timeout != null && (!timeout.isInt() || timeout.asInt() < 1 || timeout.asInt() > MAX_HTTP_TIMEOUT_MS)) {
                    error(path + ".timeoutMs", "must be an integer from 1 to " + MAX_HTTP_TIMEOUT_MS);
                }
            }
            case BRANCH -> {
                JsonNode branches = config.get("branches");
                if (branches == null || !branches.isArray() || branches.isEmpty()) {
                    error(path + ".branches", "required: a non-empty array of {id, label, condition}");
                    return;
                }
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < branches.size(); i++) {
                    JsonNode b = branches.get(i);
                    String bp = path + ".branches[" + i + "]";
                    if (!b.isObject()) {
                        error(bp, "must be an object");
                        continue;
                    }
                    String id = text(b, "id", bp);
                    if (id != null && (!seen.add(id) || "default".equals(id))) {
                        error(bp + ".id", "default".equals(id) ? "'default' is reserved for the fallback edge"
                                : "duplicate branch id '" + id + "'");
                    }
                    expression(b, "condition", bp, true);
                }
            }
            case LLM -> {
                JsonNode model = config.get("model");
                if (model == null || !model.isTextual() || model.asText().isBlank()) {
                    error(path + ".model", "required: the model name, as the provider spells it");
                }
                if (config.has("prompt") == config.has("messages")) {
                    error(path, "needs exactly one of 'prompt' (an expression giving the user message) or "
                            + "'messages' (an expression giving [{role, content}])");
                }
                expression(config, "prompt", path, false);
                expression(config, "messages", path, false);
                expression(config, "threadId", path, false);
                JsonNode system = config.get("system");
                if (system != null && !system.isTextual()) {
                    error(path + ".system", "must be a string");
                }
                JsonNode max = config.get("maxTokens");
                if (max != null && (!max.isInt() || max.asInt() < 1 || max.asInt() > 100_000)) {
                    error(path + ".maxTokens", "must be an integer from 1 to 100000");
                }
            }
            case SQS -> {
                JsonNode url = config.get("queueUrl");
                if (url == null || !url.isTextual() || url.asText().isBlank()) {
                    error(path + ".queueUrl", "required: the queue's URL, or an expression in {{ }}");
                } else {
                    templates(url.asText(), path + ".queueUrl");
                }
                JsonNode body = config.get("body");
                if (body == null || body.isNull()) {
                    error(path + ".body", "required: an expression, or a JSON object or array to send");
                } else if (body.isTextual()) {
                    expression(config, "body", path, true);
                }
                JsonNode group = config.get("messageGroupId");
                if (group != null && (!group.isTextual() || group.asText().isBlank())) {
                    error(path + ".messageGroupId", "must be a non-empty string (FIFO queues)");
                } else if (group != null) {
                    templates(group.asText(), path + ".messageGroupId");
                }
            }
            case STEP_FUNCTION -> {
                JsonNode arn = config.get("stateMachineArn");
                if (arn == null || !arn.isTextual() || arn.asText().isBlank()) {
                    error(path + ".stateMachineArn", "required: the state machine's ARN, or an expression in {{ }}");
                } else {
                    templates(arn.asText(), path + ".stateMachineArn");
                }
                if (config.has("input") && config.get("input").isTextual()) {
                    expression(config, "input", path, true);
                }
                JsonNode poll = config.get("pollSeconds");
                if (poll != null && (!poll.isInt() || poll.asInt() < 1 || poll.asInt() > 300)) {
                    error(path + ".pollSeconds", "must be an integer from 1 to 300");
                }
            }
            case MAP -> {
                expression(config, "items", path, true);
                JsonNode max = config.get("maxConcurrency");
                if (max != null && (!max.isInt() || max.asInt() < 1 || max.asInt() > MAX_MAP_CONCURRENCY)) {
                    error(path + ".maxConcurrency", "must be an integer from 1 to " + MAX_MAP_CONCURRENCY);
                }
                JsonNode count = config.get("toleratedFailureCount");
                if (count != null && (!count.isInt() || count.asInt() < 0)) {
                    error(path + ".toleratedFailureCount", "must be an integer from 0");
                }
                JsonNode pct = config.get("toleratedFailurePercentage");
                if (pct != null && (!pct.isNumber() || pct.asDouble() < 0 || pct.asDouble() > 100)) {
                    error(path + ".toleratedFailurePercentage", "must be a number from 0 to 100");
                }
                if (count != null && pct != null) {
                    error(path, "give toleratedFailureCount or toleratedFailurePercentage, not both");
                }
            }
            default -> throw new IllegalStateException(type.toString());
        }
    }

    private void expression(JsonNode config, String field, String path, boolean required) {
        JsonNode e = config.get(field);
        if (e == null || e.isNull()) {
            if (required) {
                error(path + "." + field, "required: a JSONata expression");
            }
            return;
        }
        if (!e.isTextual() || e.asText().isBlank()) {
            error(path + "." + field, "must be a JSONata expression string");
            return;
        }
        String problem = Expressions.syntaxError(e.asText());
        if (problem != null) {
            error(path + "." + field, "expression does not parse: " + problem);
            return;
        }
        dynamicReads(e.asText(), path + "." + field);
    }

    /** A worker reads only the outputs an expression names, so it must name them: nodes.<id>, not $keys(nodes). */
    private void dynamicReads(String expression, String path) {
        String problem = io.metronome.expr.References.of(expression).problem();
        if (problem != null) {
            error(path, "expression " + problem);
        }
    }

    private void templates(String text, String path) {
        for (String expr : Templates.expressions(text)) {
            String problem = Expressions.syntaxError(expr);
            if (problem != null) {
                error(path, "expression {{" + expr + "}} does not parse: " + problem);
            } else {
                dynamicReads(expr, path);
            }
        }
    }

    private Edge parseEdge(JsonNode json, String path, Set<String> nodeIds, Set<String> edgeIds) {
        if (!json.isObject()) {
            error(path, "must be an object");
            return null;
        }
        String from = text(json, "from", path);
        String to = text(json, "to", path);
        String id = json.hasNonNull("id") ? json.get("id").asText() : null;
        if (id == null) {
            id = from + "->" + to;
        }
        if (!edgeIds.add(id)) {
            error(path + ".id", "duplicate edge id '" + id + "'");
        }
        if (from != null && !nodeIds.contains(from)) {
            error(path + ".from", "no node '" + from + "'");
        }
        if (to != null && !nodeIds.contains(to)) {
            error(path + ".to", "no node '" + to + "'");
        }
        JsonNode branchId = json.get("branchId");
        if (branchId != null && !branchId.isNull() && !branchId.isTextual()) {
            error(path + ".branchId", "must be a string");
        }
        if (from == null || to == null) {
            return null;
        }
        if (from.equals(to)) {
            error(path, "an edge cannot lead from a node to itself");
        }
        return new Edge(id, from, to, branchId == null || branchId.isNull() ? null : branchId.asText());
    }

    private void checkBranchEdges(Map<String, Node> byId, List<Edge> edges) {
        // Each branch node's branch ids, gathered once however many edges leave it.
        Map<String, Set<String>> branchIds = new HashMap<>();
        for (int i = 0; i < edges.size(); i++) {
            Edge e = edges.get(i);
            Node from = byId.get(e.from());
            if (from.type() == NodeType.BRANCH) {
                Set<String> ids = branchIds.computeIfAbsent(from.id(), id -> {
                    Set<String> s = new HashSet<>();
                    from.config().path("branches").forEach(b -> s.add(b.path("id").asText()));
                    return s;
                });
                if (e.branchId() == null) {
                    error(".edges[" + i + "].branchId", "an edge out of branch node '" + from.id()
                            + "' must name one of its branches, or 'default'");
                } else if (!"default".equals(e.branchId()) && !ids.contains(e.branchId())) {
                    error(".edges[" + i + "].branchId", "branch node '" + from.id() + "' has no branch '"
                            + e.branchId() + "'");
                }
            } else if (e.branchId() != null) {
                error(".edges[" + i + "].branchId", "only edges out of a branch node name a branch");
            }
            if (from.type() == NodeType.SUCCEED || from.type() == NodeType.FAIL) {
                error(".edges[" + i + "].from", "'" + from.id() + "' is a " + from.type().wire()
                        + " node and ends the run: it can have no outgoing edges");
            }
        }
    }

    private String startNode(JsonNode json, List<Node> nodes, Map<String, Node> byId, List<Edge> edges) {
        Set<String> withIncoming = new HashSet<>();
        edges.forEach(e -> withIncoming.add(e.to()));
        List<String> roots = nodes.stream().map(Node::id).filter(id -> !withIncoming.contains(id)).toList();
        JsonNode declared = json.get("startNodeId");
        if (declared != null && !declared.isNull()) {
            String start = declared.asText();
            if (!byId.containsKey(start)) {
                error(".startNodeId", "no node '" + start + "'");
                return null;
            }
            if (withIncoming.contains(start)) {
                error(".startNodeId", "the start node '" + start + "' cannot have incoming edges");
                return null;
            }
            if (roots.size() > 1) {
                error(".nodes", "exactly one start node is allowed; nodes without incoming edges: " + roots);
                return null;
            }
            return start;
        }
        if (roots.size() != 1) {
            error(".nodes", roots.isEmpty() ? "no start node: every node has an incoming edge"
                    : "exactly one start node is allowed; nodes without incoming edges: " + roots);
            return null;
        }
        return roots.get(0);
    }

    private void checkGraph(String start, List<Node> nodes, List<Edge> edges, Map<String, Integer> jsonIndex) {
        Map<String, List<String>> out = new HashMap<>();
        nodes.forEach(n -> out.put(n.id(), new ArrayList<>()));
        edges.forEach(e -> out.get(e.from()).add(e.to()));
        // Cycle detection by depth-first search with colours (1 on the stack, 2 done); reports one edge that
        // closes a cycle. A frame is a node and the index of its next successor to visit.
        Map<String, Integer> colour = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Deque<int[]> cursor = new ArrayDeque<>();
        stack.push(start);
        cursor.push(new int[]{0});
        colour.put(start, 1);
        while (!stack.isEmpty()) {
            String node = stack.peek();
            int[] next = cursor.peek();
            List<String> successors = out.get(node);
            if (next[0] < successors.size()) {
                String to = successors.get(next[0]++);
                Integer c = colour.get(to);
                if (c == null) {
                    colour.put(to, 1);
                    stack.push(to);
                    cursor.push(new int[]{0});
                } else if (c == 1) {
                    error(".edges", "the graph has a cycle through '" + node + "' -> '" + to + "'");
                    return;
                }
            } else {
                colour.put(node, 2);
                stack.pop();
                cursor.pop();
            }
        }
        for (Node n : nodes) {
            if (!colour.containsKey(n.id())) {
                error(".nodes[" + jsonIndex.get(n.id()) + "]", "node '" + n.id()
                        + "' is not reachable from the start node '" + start + "'");
            }
        }
    }

    private String text(JsonNode json, String field, String path) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            error(path + "." + field, "required");
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            error(path + "." + field, "must be a non-empty string");
            return null;
        }
        return v.asText();
    }
}
