package io.metronome.observe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one invocation recorded, grouped the way embedded metric format needs it: values that share their
 * dimensions' values and their context (trace, request, run) go in one blob, each metric with all its values.
 */
final class MetricsBatch {
    /** The properties a blob carries: which trace, request and run its values came from (each may be null). */
    record Context(String traceId, String requestId, String runId) {
    }

    /** One blob's worth: a node type and outcome (both null for the service-only metrics) in one context. */
    record Group(String nodeType, String outcome, Context context) {
        boolean byOutcome() {
            return outcome != null;
        }
    }

    record Values(Metrics.Unit unit, List<Double> values) {
    }

    private final Map<Group, Map<String, Values>> groups = new LinkedHashMap<>();

    void service(String name, Metrics.Unit unit, double value, Context context) {
        add(new Group(null, null, context), name, unit, value);
    }

    void node(String nodeType, String outcome, double durationMillis, Context context) {
        Group g = new Group(nodeType, outcome, context);
        add(g, Metrics.NODES_EXECUTED, Metrics.Unit.COUNT, 1);
        add(g, Metrics.NODE_DURATION, Metrics.Unit.MILLISECONDS, durationMillis);
    }

    private void add(Group group, String name, Metrics.Unit unit, double value) {
        groups.computeIfAbsent(group, g -> new LinkedHashMap<>())
                .computeIfAbsent(name, n -> new Values(unit, new ArrayList<>())).values().add(value);
    }

    boolean isEmpty() {
        return groups.isEmpty();
    }

    Map<Group, Map<String, Values>> groups() {
        return groups;
    }
}
