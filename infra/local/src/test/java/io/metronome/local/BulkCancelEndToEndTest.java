package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bulk cancel a user runs over HTTP, on a local stack in a process of its own (with a data directory) that is
 * killed with SIGKILL in the middle of the job and started again: the job finishes, and each of its 500 runs was
 * cancelled once, by it, with the per-run results adding up.
 */
class BulkCancelEndToEndTest {
    private static final String KEY = "bulk-key-0123456789";
    private static final int RUNS = 500;

    @TempDir
    Path dataDir;
    private Process stack;

    @AfterEach
    void stop() throws InterruptedException {
        if (stack != null) {
            stack.destroyForcibly().waitFor();
        }
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aBulkCancelOf500RunsKilledMidJobAndRestartedCancelsEachRunOnce() throws Exception {
        int port = freePort();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.metronome.local.LocalStack",
                "--port", Integer.toString(port), "--dynamodb-port", Integer.toString(freePort()),
                "--sqs-port", Integer.toString(freePort()), "--data-dir", dataDir.resolve("data").toString(),
                "--api-key", "bulker:" + KEY, "--template", Path.of("../../template.yaml").toAbsolutePath().toString());
        stack = start(command, 1);
        Http.As user = new Http.As(new Http(port), KEY);

        // Given 500 runs of one project waiting for an approval
        String project = "p-" + UUID.randomUUID();
        Http.Reply m = user.post("/v1/metronomes", """
                {"name": "approvals", "definition": {"nodes": [
                  {"id": "ask", "type": "approval", "config": {"prompt": "Ship it?"}}], "edges": []}}""");
        assertThat(m.status()).as(m.raw()).isEqualTo(201);
        String metronomeId = m.data().get("id").asText();
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            Http.Reply r = user.post("/v1/metronomes/" + metronomeId + "/runs",
                    "{\"attachedProjectId\": \"" + project + "\"}");
            assertThat(r.status()).as(r.raw()).isEqualTo(201);
            runIds.add(r.data().get("id").asText());
        }

        // When a dry run counts them, then a bulk cancel by filter starts
        Http.Reply dry = user.post("/v1/runs/bulk/cancel", "{\"filter\": {\"attachedProjectId\": \"" + project
                + "\"}, \"dryRun\": true}");
        assertThat(dry.status()).as(dry.raw()).isEqualTo(200);
        assertThat(dry.data().get("count").asInt()).isEqualTo(RUNS);
        Http.Reply started = user.post("/v1/runs/bulk/cancel", "{\"filter\": {\"attachedProjectId\": \"" + project
                + "\"}, \"reason\": \"project closed\"}");
        assertThat(started.status()).as(started.raw()).isEqualTo(202);
        String jobPath = "/v1/runs/bulk/" + started.data().get("id").asText();

        // and the stack is killed (SIGKILL) once the job is under way, then started again on its data
        JsonNode job = awaitJob(user, jobPath, j -> j.get("processed").asInt() >= 100);
        stack.destroyForcibly().waitFor();
        int atKill = job.get("processed").asInt();
        assertThat(atKill).as("killed mid-job").isLessThan(RUNS);
        System.out.println("[bulk] the stack was killed with " + atKill + " of " + RUNS + " runs' results recorded");
        stack = start(command, 2);

        // Then the job completes, its results add up, and every run was cancelled once, by the job
        JsonNode done = awaitJob(user, jobPath, j -> j.get("status").asText().equals("completed"));
        assertThat(done.get("counts").get("changed").asInt()).isEqualTo(RUNS);
        assertThat(done.get("processed").asInt()).isEqualTo(RUNS);
        int results = 0;
        String cursor = null;
        do {
            Http.Reply page = user.get(jobPath + "?limit=200" + (cursor == null ? "" : "&cursor=" + cursor));
            for (JsonNode r : page.data().get("results")) {
                assertThat(r.get("outcome").asText()).as(r.toString()).isEqualTo("changed");
                results++;
            }
            cursor = page.data().get("nextCursor").asText(null);
        } while (cursor != null);
        assertThat(results).isEqualTo(RUNS);
        for (String runId : runIds) {
            Http.Reply t = user.get("/v1/metronomes/" + metronomeId + "/runs/" + runId + "/timeline?limit=1000");
            assertThat(t.data().get("run").get("status").asText()).isEqualTo("cancelled");
            List<JsonNode> cancelled = new ArrayList<>();
            t.data().get("auditEvents").forEach(e -> {
                if (e.get("action").asText().equals("run.cancelled")) {
                    cancelled.add(e);
                }
            });
            assertThat(cancelled).as(runId + " cancelled once").hasSize(1);
            assertThat(cancelled.get(0).get("payload").get("bulkJobId").asText()).isEqualTo(started.data().get("id").asText());
        }
    }

    private Process start(List<String> command, int n) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("stack-" + n + ".log").toFile()).start();
        int port = Integer.parseInt(command.get(command.indexOf("--port") + 1));
        for (int i = 0; i < 600; i++) {
            try {
                if (new Http(port).call("GET", "/health", java.util.Map.of(), null).status() == 200) {
                    return p;
                }
            } catch (IllegalStateException notYet) {
                // not listening yet
            }
            assertThat(p.isAlive()).as("the stack started; see " + dataDir.resolve("stack-" + n + ".log")).isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("the stack did not answer within a minute");
    }

    private static JsonNode awaitJob(Http.As user, String path, java.util.function.Predicate<JsonNode> done)
            throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            JsonNode job = user.get(path + "?limit=1").data();
            if (done.test(job)) {
                return job;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the job at " + path + " did not get there");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
