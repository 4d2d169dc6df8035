package io.metronome.engine;

import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.engine.RunService.Timeline;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.metronome.testing.Harness.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs with no size ceiling, on the local emulators through the real clients: a long chain of nodes with
 * sizeable outputs, outputs at the 256 KB limit and past it, a wide fan-out, and the timeline paged through.
 * Costs are read from the emulator's consumed capacity (ReturnConsumedCapacity), never from timings.
 */
class LongRunTest {
    private static final int CHAIN = 1000;

    /** Node c{k} reads its predecessor's output and the run's input and adds 4 KB of its own. */
    private static String chain(int length) {
        StringBuilder nodes = new StringBuilder();
        StringBuilder edges = new StringBuilder();
        nodes.append("{\"id\": \"c1\", \"type\": \"transform\", \"config\": {\"expression\": \"{'k': 1, 'pad': input.pad}\"}}");
        for (int k = 2; k <= length; k++) {
            nodes.append(",{\"id\": \"c").append(k).append("\", \"type\": \"transform\", \"config\": {\"expression\": ")
                    .append("\"{'k': nodes.c").append(k - 1).append(".k + 1, 'pad': input.pad}\"}}");
            edges.append(k == 2 ? "" : ",").append("{\"from\": \"c").append(k - 1).append("\", \"to\": \"c").append(k).append("\"}");
        }
        return "{\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}";
    }

    @Test
    void aThousandNodeChainWithFourKilobyteOutputsCompletesAtAFlatCostPerNode() {
        Harness h = new Harness();
        Metronome m = h.metronome(chain(CHAIN));
        // 3,900 characters: every node's items stay under the same 4 KB boundary whatever the digits of k.
        Run run = h.start(m, "{\"input\": {\"pad\": \"" + "x".repeat(3900) + "\"}}");

        double[] units = new double[CHAIN + 1];
        int[] calls = new int[CHAIN + 1];
        for (int k = 1; k <= CHAIN; k++) {
            h.stack.counter.reset();
            int before = h.pump.handled();
            h.pump.until(() -> h.pump.handled() > before, Duration.ofSeconds(20), "node c" + k);
            units[k] = h.stack.counter.writeUnits();
            calls[k] = h.stack.counter.calls().size();
        }
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);

        assertThat(done.output().get("k").asInt()).isEqualTo(CHAIN);
        System.out.printf("write units per node of a %d-node chain with 4 KB outputs: node 1 %.1f (starts the run), "
                        + "node 2 %.1f, node 100 %.1f, node 999 %.1f, node 1000 %.1f (ends the run); AWS calls: %d, %d, %d, %d, %d%n",
                CHAIN, units[1], units[2], units[100], units[999], units[CHAIN], calls[1], calls[2], calls[100],
                calls[999], calls[CHAIN]);
        // The steady state does not grow with the run: node 100 and node 999 cost what node 2 costs, within 10%.
        assertThat(units[100]).isCloseTo(units[2], org.assertj.core.data.Percentage.withPercentage(10));
        assertThat(units[999]).isCloseTo(units[2], org.assertj.core.data.Percentage.withPercentage(10));
        // The first and last nodes also start and end the run (audited transactions, the run's output); they
        // still do not carry the run's length.
        assertThat(units[1]).isLessThan(units[2] * 2);
        assertThat(units[CHAIN]).isLessThan(units[2] * 3);

        Timeline whole = h.timeline(done, 250);
        assertThat(whole.steps()).hasSize(CHAIN).allMatch(s -> s.status() == StepStatus.COMPLETED);
        assertThat(whole.steps()).extracting(Step::nodeId).doesNotHaveDuplicates();
        assertConsistent(whole);
    }

    @Test
    void theTimelinePagesStayUnderOneMegabyteAndHoldEveryStepOnce() {
        Harness h = new Harness();
        Metronome m = h.metronome(chain(300));
        Run run = h.start(m, "{\"input\": {\"pad\": \"" + "x".repeat(4000) + "\"}}");
        Run done = h.awaitStatus(run, RunStatus.COMPLETED);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Timeline page = h.engine.runService.timeline(done.userId(), done.metronomeId(), done.id(), 1000, cursor);
            long bytes = io.metronome.domain.Json.MAPPER.valueToTree(page.steps().stream().map(s -> s.output()).toList())
                    .toString().length();
            assertThat(bytes).as("page " + pages + " outputs").isLessThan(1_000_000);
            page.steps().forEach(s -> seen.add(s.id()));
            assertThat(page.summary().stepCount()).as("the summary is whole on every page").isEqualTo(300);
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null);

        assertThat(pages).as("300 steps of 4 KB do not fit one page").isGreaterThan(1);
        assertThat(seen).hasSize(300).doesNotHaveDuplicates();
    }

    @Test
    void anOutputOf250KilobytesCompletesAndOneOf300FailsTheAttemptNamingTheLimit() {
        Harness h = new Harness();
        Metronome big = h.metronome("""
                {"nodes": [{"id": "big", "type": "transform", "config": {"expression": "input.text"}},
                           {"id": "after", "type": "transform", "config": {"expression": "$length(nodes.big)"}}],
                 "edges": [{"from": "big", "to": "after"}]}""");
        Metronome tooBig = h.metronome("""
                {"nodes": [{"id": "huge", "type": "transform",
                            "config": {"expression": "input.text & $substring(input.text, 0, 50000)"}}]}""");
        String text = "y".repeat(250 * 1024);

        Run ok = h.awaitStatus(h.start(big, "{\"input\": {\"text\": \"" + text + "\"}}"), RunStatus.COMPLETED);
        Run refused = h.awaitStatus(h.start(tooBig, "{\"input\": {\"text\": \"" + text + "\"}}"), RunStatus.FAILED);

        assertThat(ok.output().asInt()).isEqualTo(250 * 1024);
        assertThat(h.timeline(ok).steps().get(0).output().asText()).hasSize(250 * 1024);
        assertThat(refused.error()).contains("262144 bytes (256 KB)").contains("output");
        Step failed = h.timeline(refused).steps().get(0);
        assertThat(failed.status()).isEqualTo(StepStatus.FAILED);
        assertThat(failed.attempt()).as("a limit is not retried").isEqualTo(1);
    }

    @Test
    void aNodeWithFiveHundredSuccessorsHandsOffToAllAndTheirJoinRunsOnce() {
        Harness h = new Harness();
        StringBuilder nodes = new StringBuilder("{\"id\": \"fan\", \"type\": \"transform\", \"config\": {\"expression\": \"1\"}}");
        StringBuilder edges = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            nodes.append(",{\"id\": \"t").append(i).append("\", \"type\": \"transform\", \"config\": {\"expression\": \"nodes.fan + ")
                    .append(i).append("\"}}");
            edges.append(i == 0 ? "" : ",").append("{\"from\": \"fan\", \"to\": \"t").append(i).append("\"}")
                    .append(",{\"from\": \"t").append(i).append("\", \"to\": \"join\"}");
        }
        nodes.append(",{\"id\": \"join\", \"type\": \"transform\", \"config\": {\"expression\": \"nodes.t0 + nodes.t499\"}}");
        Metronome m = h.metronome("{\"nodes\": [" + nodes + "], \"edges\": [" + edges + "]}");

        Run done = h.awaitStatus(h.start(m, "{}"), RunStatus.COMPLETED);

        assertThat(done.output().asInt()).isEqualTo(1 + 1 + 499);
        Timeline t = h.timeline(done, 200);
        assertThat(t.steps()).hasSize(502).allMatch(s -> s.status() == StepStatus.COMPLETED);
        assertThat(t.steps()).extracting(Step::nodeId).filteredOn("join"::equals).hasSize(1);
        assertConsistent(t);
    }
}
