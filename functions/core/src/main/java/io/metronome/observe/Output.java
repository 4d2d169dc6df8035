package io.metronome.observe;

import java.io.PrintStream;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where log lines and metric blobs go. In Lambda both go to standard output, one JSON object a line: Lambda
 * sends each line to CloudWatch Logs as it is (already JSON, so its JSON log format does not wrap it), and
 * CloudWatch extracts the metrics from the blobs. Not through the {@code LambdaLogger}, which under the JSON
 * log format would wrap every line in a {@code message} string and hide the metrics from CloudWatch.
 *
 * <p>The local stack and tests replace either destination.
 */
public final class Output {
    /** Receives one flush's metric blobs (none when the invocation recorded nothing). */
    public interface MetricsSink {
        void flushed(List<String> blobs);
    }

    private static final Consumer<LogEvent> STDOUT_LOGS = e -> println(e.line());
    private static final MetricsSink STDOUT_METRICS = blobs -> blobs.forEach(Output::println);

    private static volatile Consumer<LogEvent> logs = STDOUT_LOGS;
    private static volatile MetricsSink metrics = STDOUT_METRICS;

    /** A formatted line with its level, so a destination can keep only some levels (the local console). */
    public record LogEvent(Level level, String logger, String line) {
    }

    /** Log levels, most detailed first. */
    public enum Level {
        TRACE, DEBUG, INFO, WARN, ERROR;

        /** Lambda's own names for the levels (ApplicationLogLevel): FATAL counts as ERROR here. */
        public static Level parse(String name, Level otherwise) {
            if (name == null || name.isBlank()) {
                return otherwise;
            }
            String n = name.trim().toUpperCase(java.util.Locale.ROOT);
            if (n.equals("FATAL")) {
                return ERROR;
            }
            for (Level l : values()) {
                if (l.name().equals(n)) {
                    return l;
                }
            }
            return otherwise;
        }
    }

    private Output() {
    }

    static void log(LogEvent event) {
        logs.accept(event);
    }

    static void metrics(List<String> blobs) {
        metrics.flushed(blobs);
    }

    public static void logsTo(Consumer<LogEvent> destination) {
        logs = destination == null ? STDOUT_LOGS : destination;
    }

    public static void metricsTo(MetricsSink destination) {
        metrics = destination == null ? STDOUT_METRICS : destination;
    }

    /** Back to standard output. */
    public static void reset() {
        logs = STDOUT_LOGS;
        metrics = STDOUT_METRICS;
    }

    private static void println(String line) {
        // One write per line, so lines of concurrent threads (the local stack) never interleave. System.out as it
        // is now: Lambda's runtime replaces it before the handler's class is loaded.
        PrintStream out = System.out;
        synchronized (Output.class) {
            out.println(line);
        }
    }
}
