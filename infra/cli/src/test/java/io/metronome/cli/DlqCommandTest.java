package io.metronome.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.engine.NodeMessage;
import io.metronome.local.LocalClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./metronome dlq} against the local stack: messages put on the node dead-letter queue as the worker's
 * failures would leave them, for a run that is stuck without its message, for one that has ended, and one that is
 * not a node message at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DlqCommandTest {
    private static final String FLOW = """
            {"name": "one step", "definition": {"nodes": [
              {"id": "done", "type": "succeed", "config": {"output": "{'finished': true}"}}], "edges": []}}""";

    private Path data;
    private CommandLineStack local;
    private SqsClient sqs;
    private String deadLetterQueue;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        data = dir;
        local = new CommandLineStack(data);
        sqs = LocalClients.sqs(local.stack.emulators().sqsEndpoint(), LocalClients.plain());
        deadLetterQueue = sqs.getQueueUrl(r -> r.queueName("NodeDeadLetterQueue")).queueUrl();
    }

    @AfterAll
    void stop() {
        local.close();
    }

    @Test
    void aRedriveFinishesALiveRunDropsAnEndedRunsMessageAndKeepsAnUnreadableOneAndADryRunChangesNothing() {
        String key = local.stack.demoKey();
        String metronomeId = local.call("POST", "/v1/metronomes", key, FLOW).json().at("/data/id").asText();
        Metronome metronome = local.stack.engine().metronomes.find(metronomeId).orElseThrow();

        // A run whose first message was lost to the dead-letter queue: created, and never sent.
        String stuck = Ids.next(Ids.RUN);
        local.stack.engine().runService.startWithId(stuck, metronome, Json.object(), false);
        // A run that has completed since.
        String ended = local.call("POST", "/v1/metronomes/" + metronomeId + "/runs", key, "{}").json().at("/data/id").asText();
        CommandLineStack.await("run " + ended + " completes", () -> "completed".equals(status(metronomeId, ended)));

        sqs.sendMessage(r -> r.queueUrl(deadLetterQueue).messageBody(NodeMessage.node(stuck, "done", 1, null).toJson()));
        sqs.sendMessage(r -> r.queueUrl(deadLetterQueue).messageBody(NodeMessage.node(ended, "done", 1, null).toJson()));
        sqs.sendMessage(r -> r.queueUrl(deadLetterQueue).messageBody("{\"hello\": \"not a node message\"}"));
        assertThat(count()).isEqualTo(3);

        // A dry run says what would happen, and leaves every message where it was.
        CommandLineStack.Result first = local.local("dlq", "redrive", "--dry-run", "--max", "2");
        assertThat(first.status()).as(first.err()).isZero();
        assertThat(first.lines()).hasSize(2);
        CommandLineStack.Result dry = local.local("dlq", "redrive", "--dry-run");
        assertThat(dry.status()).as(dry.err()).isZero();
        assertThat(dry.err()).contains("nothing changed");
        Map<String, JsonNode> wouldBe = byRun(dry.lines());
        assertThat(wouldBe.get(stuck).get("outcome").asText()).isEqualTo("redriven");
        assertThat(wouldBe.get(ended).get("outcome").asText()).isEqualTo("dropped: run completed");
        assertThat(wouldBe.get(null).get("outcome").asText()).isEqualTo("kept: unreadable");
        assertThat(wouldBe.values()).allSatisfy(l -> assertThat(l.get("dryRun").asBoolean()).isTrue());
        assertThat(count()).as("all three back on the queue, visible").isEqualTo(3);
        assertThat(status(metronomeId, stuck)).isEqualTo("queued");

        CommandLineStack.Result redrive = local.local("dlq", "redrive");
        assertThat(redrive.status()).as(redrive.err()).isZero();
        Map<String, JsonNode> results = byRun(redrive.lines());
        assertThat(results).hasSize(3);
        JsonNode redriven = results.get(stuck);
        assertThat(redriven.get("outcome").asText()).isEqualTo("redriven");
        assertThat(redriven.get("nodeId").asText()).isEqualTo("done");
        assertThat(redriven.get("kind").asText()).isEqualTo("NODE");
        assertThat(redriven.get("messageId").asText()).isNotBlank();
        assertThat(redriven.get("receiveCount").asInt()).as("received by the two dry runs too").isGreaterThanOrEqualTo(2);
        assertThat(redriven.has("dryRun")).isFalse();
        assertThat(results.get(ended).get("outcome").asText()).isEqualTo("dropped: run completed");
        JsonNode unreadable = results.get(null);
        assertThat(unreadable.get("outcome").asText()).isEqualTo("kept: unreadable");
        assertThat(unreadable.get("kind").isNull()).isTrue();
        assertThat(redrive.err()).contains("Redriven: 1, dropped: 1, kept: 1");

        CommandLineStack.await("the redriven run completes", () -> "completed".equals(status(metronomeId, stuck)));
        assertThat(count()).as("only the unreadable message is left, visible again").isEqualTo(1);

        CommandLineStack.Result counted = local.local("dlq", "count");
        assertThat(counted.status()).isZero();
        assertThat(Json.read(counted.out()).get("messages").asInt()).isEqualTo(1);
        assertThat(Json.read(counted.out()).get("inFlight").asInt()).isZero();

        assertThat(local.local("dlq", "redrive", "--max", "0").status()).isEqualTo(2);
        assertThat(local.local("dlq").status()).isEqualTo(2);
    }

    private String status(String metronomeId, String runId) {
        return local.call("GET", "/v1/metronomes/" + metronomeId + "/runs/" + runId, local.stack.demoKey(), null)
                .json().at("/data/status").asText();
    }

    private int count() {
        return Integer.parseInt(sqs.getQueueAttributes(r -> r.queueUrl(deadLetterQueue)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }

    /** Result lines by run id (null for the unreadable message). */
    private static Map<String, JsonNode> byRun(List<String> lines) {
        Map<String, JsonNode> byRun = new HashMap<>();
        for (String line : lines) {
            JsonNode o = Json.read(line);
            byRun.put(o.get("runId").isNull() ? null : o.get("runId").asText(), o);
        }
        return byRun;
    }
}
