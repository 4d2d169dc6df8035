package io.metronome.local;

import io.metronome.domain.RunEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runs table's stream, locally: the stack creates the table with it, and its two pollers feed the run events
 * function and the status notifications function as Lambda's event source mappings would, each from its own
 * position, going on after a restart from where it stopped.
 */
class LocalStreamTest {
    private static final Path TEMPLATE = Path.of("../../template.yaml");
    private static final String DEFINITION = """
            {"name": "two steps", "definition": {"nodes": [
              {"id": "a", "type": "transform", "config": {"expression": "1"}},
              {"id": "b", "type": "transform", "config": {"expression": "nodes.a + 1"}}],
             "edges": [{"from": "a", "to": "b"}]}}""";

    @Test
    void aRunThroughTheStackFillsItsEventLogThroughTheStreamAndARestartGoesOnFromWhereItStopped(@TempDir Path data)
            throws Exception {
        long firstDone;
        try (LocalStack first = LocalStack.start(new LocalStack.Options(0, data, List.of(), TEMPLATE))) {
            String runId = runToCompletion(first);
            List<RunEvent> events = awaitEvents(first, runId, "workflow.completed");
            assertThat(events).extracting(e -> e.type().wire() + (e.fields().has("nodeId")
                    ? " " + e.fields().get("nodeId").asText() : "")).containsExactly("workflow.queued",
                    "workflow.started", "step.started a", "step.completed a", "step.started b", "step.completed b",
                    "workflow.completed");
            assertThat(events).extracting(RunEvent::id).isSorted();
            firstDone = first.streamPoller("RunEventsFunction").recordsDone();
            assertThat(firstDone).isGreaterThanOrEqualTo(events.get(events.size() - 1).cursor().rev());
            // Locally each status change is a line of the functions' log.
            waitFor(() -> notified(data, runId).contains("running>completed"));
            assertThat(notified(data, runId)).containsExactly("null>queued", "queued>running", "running>completed");
            waitFor(() -> first.streamPoller("RunStatusNotificationsFunction").recordsDone() >= firstDone);
        }
        assertThat(Files.readAllLines(data.resolve("stream-positions/RunEventsFunction"))).hasSize(2);
        assertThat(Files.readAllLines(data.resolve("stream-positions/RunStatusNotificationsFunction"))).hasSize(2);

        try (LocalStack second = LocalStack.start(new LocalStack.Options(0, data, List.of(), TEMPLATE))) {
            String runId = runToCompletion(second);
            List<RunEvent> events = awaitEvents(second, runId, "workflow.completed");
            long lastRev = events.get(events.size() - 1).cursor().rev();
            // Only the new run's writes were handed over, to each function: none of the first start's came again.
            assertThat(second.streamPoller("RunEventsFunction").recordsDone()).isEqualTo(lastRev);
            StreamPoller notifications = second.streamPoller("RunStatusNotificationsFunction");
            waitFor(() -> notifications.recordsDone() >= lastRev);
            assertThat(notifications.recordsDone()).isEqualTo(lastRev);
            assertThat(notified(data, runId)).containsExactly("null>queued", "queued>running", "running>completed");
        }
    }

    /** The run's status changes the functions' log tells of, in order, as {@code old>new}. */
    private static List<String> notified(Path data, String runId) {
        String prefix = io.metronome.engine.StatusNotification.DETAIL_TYPE + ": ";
        try {
            return Files.readAllLines(data.resolve(LocalLogs.FILE)).stream()
                    .map(line -> io.metronome.domain.Json.read(line).path("message").asText())
                    .filter(m -> m.startsWith(prefix))
                    .map(m -> io.metronome.domain.Json.read(m.substring(prefix.length())))
                    .filter(d -> d.get("runId").asText().equals(runId))
                    .map(d -> d.get("oldStatus").asText(null) + ">" + d.get("newStatus").asText())
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String runToCompletion(LocalStack stack) throws InterruptedException {
        Http.As demo = new Http.As(new Http(stack.port()), stack.demoKey());
        String metronomeId = demo.post("/v1/metronomes", DEFINITION).data().get("id").asText();
        String runId = demo.post("/v1/metronomes/" + metronomeId + "/runs", "{}").data().get("id").asText();
        waitFor(() -> "completed".equals(demo.get("/v1/metronomes/" + metronomeId + "/runs/" + runId).data()
                .get("status").asText()));
        return runId;
    }

    private static List<RunEvent> awaitEvents(LocalStack stack, String runId, String last) throws InterruptedException {
        waitFor(() -> stack.engine().eventLog.after(runId, null, 1000).events().stream()
                .anyMatch(e -> e.type().wire().equals(last)));
        return stack.engine().eventLog.after(runId, null, 1000).events();
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(100);
        }
    }
}
