package io.metronome.observe;

import software.amazon.cloudwatchlogs.emf.model.DimensionSet;
import software.amazon.cloudwatchlogs.emf.model.MetricsContext;
import software.amazon.cloudwatchlogs.emf.model.Unit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Serialises a batch as embedded metric format, with the AWS library's model (aws-embedded-metrics): the
 * library's own environment detection and sinks are not used (they would add dimensions the contract does not
 * have, and outside Lambda probe for an agent), only its validation and serialisation. Loaded at the first
 * flush, not at a function's start.
 */
final class Emf {
    private Emf() {
    }

    static List<String> blobs(MetricsBatch batch, Instant at) {
        List<String> blobs = new ArrayList<>();
        for (Map.Entry<MetricsBatch.Group, Map<String, MetricsBatch.Values>> g : batch.groups().entrySet()) {
            MetricsContext ctx = new MetricsContext();
            try {
                ctx.setNamespace(Metrics.NAMESPACE);
                ctx.setTimestamp(at);
                MetricsBatch.Group group = g.getKey();
                if (group.byOutcome()) {
                    String type = group.nodeType() == null ? "unknown" : group.nodeType();
                    ctx.setDimensions(false,
                            DimensionSet.of(Metrics.SERVICE_DIMENSION, Metrics.SERVICE,
                                    Metrics.OUTCOME_DIMENSION, group.outcome()),
                            DimensionSet.of(Metrics.SERVICE_DIMENSION, Metrics.SERVICE,
                                    Metrics.NODE_TYPE_DIMENSION, type, Metrics.OUTCOME_DIMENSION, group.outcome()));
                } else {
                    ctx.setDimensions(false, DimensionSet.of(Metrics.SERVICE_DIMENSION, Metrics.SERVICE));
                }
                property(ctx, LogContext.TRACE_ID, group.context().traceId());
                property(ctx, LogContext.REQUEST_ID, group.context().requestId());
                property(ctx, LogContext.RUN_ID, group.context().runId());
                for (Map.Entry<String, MetricsBatch.Values> m : g.getValue().entrySet()) {
                    Unit unit = m.getValue().unit() == Metrics.Unit.COUNT ? Unit.COUNT : Unit.MILLISECONDS;
                    for (double v : m.getValue().values()) {
                        ctx.putMetric(m.getKey(), v, unit);
                    }
                }
                blobs.addAll(ctx.serialize());
            } catch (Exception e) {
                // A metric must never fail the work it measures; the loss is logged.
                org.slf4j.LoggerFactory.getLogger(Emf.class).warn("metrics not written: {}", e.toString());
            }
        }
        return blobs;
    }

    private static void property(MetricsContext ctx, String name, String value) {
        if (value != null) {
            ctx.putProperty(name, value);
        }
    }
}
