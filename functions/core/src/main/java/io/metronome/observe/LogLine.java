package io.metronome.observe;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * One log event as one line of JSON: {@code timestamp, level, message, logger}, then the context the code set
 * ({@link LogContext}: requestId, runId, nodeId, attempt, metronomeId, traceId, ...), then a throwable's
 * {@code error} and {@code stackTrace}. One line, so Lambda keeps it as one event (a stack trace written as lines
 * would be one event per line), and JSON with a {@code level}, so Lambda's JSON log format neither wraps it nor
 * loses its level: it filters it by {@code level} against the function's ApplicationLogLevel.
 */
public final class LogLine {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ISO_INSTANT;

    private LogLine() {
    }

    public static String format(Instant at, String level, String logger, String message, Map<String, String> context,
                                Throwable error) {
        StringBuilder b = new StringBuilder(160 + (message == null ? 0 : message.length()));
        b.append('{');
        field(b, "timestamp", TIMESTAMP.format(at.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
        b.append(',');
        field(b, "level", level);
        b.append(',');
        field(b, "message", message == null ? "" : message);
        b.append(',');
        field(b, "logger", logger);
        if (context != null) {
            for (Map.Entry<String, String> e : context.entrySet()) {
                if (e.getValue() != null) {
                    b.append(',');
                    field(b, e.getKey(), e.getValue());
                }
            }
        }
        if (error != null) {
            b.append(',');
            field(b, "error", error.toString());
            b.append(',');
            field(b, "stackTrace", stackTrace(error));
        }
        return b.append('}').toString();
    }

    private static void field(StringBuilder b, String name, String value) {
        b.append('"');
        JsonStringEncoder.getInstance().quoteAsString(name, b);
        b.append("\":\"");
        JsonStringEncoder.getInstance().quoteAsString(value, b);
        b.append('"');
    }

    private static String stackTrace(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
