package io.metronome.engine;

import com.sun.net.httpserver.HttpServer;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.metronome.testing.Harness.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;

/** llm nodes against a local server that answers like the provider; sqs nodes against ElasticMQ. */
class IntegrationNodesTest {

    @Test
    void llmNodesRecordTokensCostAndThreadsAndTheTimelineAddsThemUp() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        HttpServer provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/v1/chat/completions", exchange -> {
            requests.add(exchange.getRequestHeaders().getFirst("Authorization") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            int n = calls.incrementAndGet();
            String body = n == 1 ? "{\"error\": {\"message\": \"rate limited\"}}" : """
                    {"id": "chatcmpl-%d", "object": "chat.completion", "model": "small-model-2026",
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": "answer %d"}, "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}}""".formatted(n, n);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(n == 1 ? 429 : 200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        provider.start();
        try {
            Harness h = new Harness(Duration.ofSeconds(5), Clock.systemUTC(), Map.of(
                    "LLM_API_URL", "http://127.0.0.1:" + provider.getAddress().getPort() + "/v1/",
                    "LLM_API_KEY", "sk-test", "LLM_PRICE_INPUT_CT_PER_1K_TOKENS", "0.5",
                    "LLM_PRICE_OUTPUT_CT_PER_1K_TOKENS", "1.5"));
            Metronome m = h.metronome("""
                    {"nodes": [
                      {"id": "summarise", "type": "llm", "retry": {"maxAttempts": 3, "intervalSeconds": 0.1},
                       "config": {"model": "small-model", "system": "Be brief.", "prompt": "'Summarise: ' & input.text",
                                  "threadId": "'ticket-' & input.ticket"}},
                      {"id": "title", "type": "llm", "config": {"model": "small-model", "maxTokens": 20,
                       "messages": "[{'role': 'user', 'content': 'Title for: ' & nodes.summarise.content}]"}}
                     ],
                     "edges": [{"from": "summarise", "to": "title"}]}""");
            Run run = h.start(m, "{\"input\": {\"text\": \"the printer is on fire\", \"ticket\": 42}}");

            Run done = h.awaitStatus(run, RunStatus.COMPLETED);

            assertThat(done.output().get("content").asText()).isEqualTo("answer 3");
            var t = h.timeline(done);
            List<Step> completed = t.steps().stream().filter(s -> s.status() == StepStatus.COMPLETED).toList();
            assertThat(completed).hasSize(2);
            assertThat(completed.get(0).metadata().get("totalTokens").asLong()).isEqualTo(1500);
            // 1.2 thousand prompt tokens at 0.5 and 0.3 thousand completion tokens at 1.5
            assertThat(completed.get(0).metadata().get("costCt").asDouble()).isEqualTo(1.05);
            assertThat(t.summary().llmInferenceCt()).isEqualTo(2.1);
            assertThat(t.summary().totalCt()).isEqualTo(2.1);
            assertThat(t.summary().threadIds()).containsExactly("ticket-42", run.id());
            assertThat(t.steps()).extracting(Step::status).startsWith(StepStatus.FAILED); // the rate-limited attempt
            assertThat(requests.get(1)).startsWith("Bearer sk-test ")
                    .contains("\"role\":\"system\",\"content\":\"Be brief.\"")
                    .contains("Summarise: the printer is on fire");
            assertThat(requests.get(2)).contains("\"max_tokens\":20").contains("Title for: answer 2");
            assertConsistent(t);
        } finally {
            provider.stop(0);
        }
    }

    @Test
    void sqsNodesSendTheirBodyAndUseTheRunAsTheFifoGroup() {
        Harness h = new Harness();
        String queue = h.stack.plainSqs.createQueue(r -> r.queueName("metronome-target-" + UUID.randomUUID())).queueUrl();
        String fifo = h.stack.plainSqs.createQueue(r -> r.queueName("metronome-target-" + UUID.randomUUID() + ".fifo")
                .attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true"))).queueUrl();
        Metronome m = h.metronome("""
                {"nodes": [
                  {"id": "notify", "type": "sqs", "config": {"queueUrl": "%s", "body": "{'order': input.order, 'at': 'packing'}"}},
                  {"id": "ledger", "type": "sqs", "config": {"queueUrl": "%s", "body": {"kind": "static"}}}
                 ],
                 "edges": [{"from": "notify", "to": "ledger"}]}""".formatted(queue, fifo));
        Run run = h.start(m, "{\"input\": {\"order\": \"o-9\"}}");

        Run done = h.awaitStatus(run, RunStatus.COMPLETED);

        Message plain = h.stack.plainSqs.receiveMessage(r -> r.queueUrl(queue).waitTimeSeconds(1)).messages().get(0);
        assertThat(Json.read(plain.body())).isEqualTo(Json.read("{\"order\": \"o-9\", \"at\": \"packing\"}"));
        Message ordered = h.stack.plainSqs.receiveMessage(r -> r.queueUrl(fifo).waitTimeSeconds(1)
                .messageSystemAttributeNames(MessageSystemAttributeName.MESSAGE_GROUP_ID)).messages().get(0);
        assertThat(ordered.body()).isEqualTo("{\"kind\":\"static\"}");
        assertThat(ordered.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID)).isEqualTo(run.id());
        assertThat(done.output().get("messageId").asText()).isEqualTo(ordered.messageId());
        assertConsistent(h.timeline(done));
    }

    /** An sqs node aimed at the engine's own node queue (from run input) would forge work for any run: refused. */
    @Test
    void sqsNodesMayNotSendToTheEnginesQueueOrOutsideTheirPrefix() {
        Harness h = new Harness();
        String outside = h.stack.plainSqs.createQueue(r -> r.queueName("elsewhere-" + UUID.randomUUID())).queueUrl();
        Metronome m = h.metronome("""
                {"nodes": [{"id": "send", "type": "sqs", "config": {"queueUrl": "{{input.queue}}", "body": {"forged": true}}}],
                 "edges": []}""");
        Map<String, String> expected = Map.of(h.queueUrl, "the engine's own", outside, "must start with 'metronome-target-'");
        for (String target : List.of(h.queueUrl, outside)) {
            Run run = h.start(m, "{\"input\": {\"queue\": \"" + target + "\"}}");
            Run failed = h.awaitStatus(run, RunStatus.FAILED);
            Step step = h.timeline(failed).steps().get(0);
            assertThat(step.error()).as(target).contains(expected.get(target));
            assertThat(step.attempt()).as("not retried").isEqualTo(1);
        }
        assertThat(h.stack.plainSqs.receiveMessage(r -> r.queueUrl(outside).waitTimeSeconds(0)).messages()).isEmpty();
    }
}
