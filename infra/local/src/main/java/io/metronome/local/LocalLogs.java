package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.observe.JsonLogging;
import io.metronome.observe.Output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;

/**
 * The functions' logs and metrics, locally. Everything Lambda would send to CloudWatch Logs (each log line and
 * each metric blob, as JSON lines) goes to {@value #FILE} in the data directory, as a log stream would; the
 * console shows only warnings and errors, one readable line each (a stack trace below it), so that
 * {@code ./run-local} stays quiet while runs go well.
 */
final class LocalLogs implements AutoCloseable {
    static final String FILE = "functions.log";
    private static final Set<String> SHOWN = Set.of("timestamp", "level", "message", "logger", "error", "stackTrace");

    private final BufferedWriter file;
    private final PrintStream console;
    private final Output.Level levelBefore = JsonLogging.ownLevel();

    private LocalLogs(BufferedWriter file, PrintStream console) {
        this.file = file;
        this.console = console;
    }

    /** Routes the functions' output; {@code dataDir} null keeps no file (the stack keeps nothing on disk). */
    static LocalLogs open(Path dataDir, PrintStream console) throws IOException {
        BufferedWriter file = null;
        if (dataDir != null) {
            Files.createDirectories(dataDir);
            file = Files.newBufferedWriter(dataDir.resolve(FILE), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
        LocalLogs logs = new LocalLogs(file, console);
        JsonLogging.levels(Output.Level.INFO, Output.Level.WARN); // the file has what CloudWatch would
        Output.logsTo(logs::log);
        Output.metricsTo(logs::metrics);
        return logs;
    }

    private void log(Output.LogEvent event) {
        write(List.of(event.line()));
        if (event.level().compareTo(Output.Level.WARN) >= 0) {
            String readable = readable(event.line());
            synchronized (console) {
                console.println(readable);
            }
        }
    }

    private void metrics(List<String> blobs) {
        write(blobs);
    }

    private synchronized void write(List<String> lines) {
        if (file == null || lines.isEmpty()) {
            return;
        }
        try {
            for (String line : lines) {
                file.write(line);
                file.newLine();
            }
            file.flush();
        } catch (IOException e) {
            // the console still shows warnings; a full disk must not stop the stack
        }
    }

    /** {@code 12:00:01.123 WARN  logger: message (runId=..., nodeId=...)}, then the stack trace, if any. */
    static String readable(String line) {
        JsonNode n = Json.read(line);
        StringBuilder b = new StringBuilder();
        String ts = n.path("timestamp").asText("");
        b.append(ts.length() >= 23 ? ts.substring(11, 23) : ts).append(' ')
                .append(String.format("%-5s", n.path("level").asText(""))).append(' ');
        String logger = n.path("logger").asText("");
        b.append(logger.substring(logger.lastIndexOf('.') + 1)).append(": ").append(n.path("message").asText(""));
        StringBuilder context = new StringBuilder();
        n.fields().forEachRemaining(f -> {
            if (!SHOWN.contains(f.getKey())) {
                context.append(context.length() == 0 ? "" : ", ").append(f.getKey()).append('=').append(f.getValue().asText());
            }
        });
        if (context.length() > 0) {
            b.append(" (").append(context).append(')');
        }
        if (n.hasNonNull("stackTrace")) {
            b.append(System.lineSeparator()).append(n.get("stackTrace").asText().stripTrailing());
        } else if (n.hasNonNull("error")) {
            b.append(": ").append(n.get("error").asText());
        }
        return b.toString();
    }

    @Override
    public synchronized void close() {
        Output.reset();
        JsonLogging.levels(levelBefore, Output.Level.WARN);
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // closing on the way out
            }
        }
    }
}
