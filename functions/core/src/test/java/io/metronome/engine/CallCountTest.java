package io.metronome.engine;

import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one node costs in AWS calls and DynamoDB write units, counted by an SDK ExecutionInterceptor on the
 * worker's own clients (the event source mapping's receive and delete are not the worker's and not counted).
 */
class CallCountTest {

    @Test
    void aTransformNodeOnTheHappyPathTakesSixCallsAndAtMostSixWriteUnits() {
        Harness h = new Harness();
        Metronome m = h.metronome("""
                {"nodes": [{"id": "first", "type": "transform", "config": {"expression": "1"}},
                           {"id": "middle", "type": "transform", "config": {"expression": "nodes.first + 1"}},
                           {"id": "last", "type": "transform", "config": {"expression": "nodes.middle + 1"}}],
                 "edges": [{"from": "first", "to": "middle"}, {"from": "middle", "to": "last"}]}""");
        Run run = h.start(m, "{}");
        h.stack.counter.reset();

        Cost first = cost(h, run, "first");
        Cost middle = cost(h, run, "middle");
        Cost last = cost(h, run, "last");

        assertThat(h.run(run).status()).isEqualTo(RunStatus.COMPLETED);
        System.out.println("AWS calls per node (worker only):");
        System.out.println("  first node  (also starts the run): " + first);
        System.out.println("  middle node (the steady state):    " + middle);
        System.out.println("  last node   (also ends the run):   " + last);
        // claim, read what its expression refers to, keep the output, record the step, complete, send the next
        assertThat(middle.byOperation()).isEqualTo(java.util.Map.of("DynamoDb.UpdateItem", 2,
                "DynamoDb.BatchGetItem", 1, "DynamoDb.PutItem", 2, "Sqs.SendMessage", 1));
        assertThat(middle.writeUnits()).isLessThanOrEqualTo(6.0);
    }

    private record Cost(int calls, double writeUnits, java.util.Map<String, Integer> byOperation) {
        @Override
        public String toString() {
            return calls + " calls, " + writeUnits + " write units " + byOperation;
        }
    }

    private static Cost cost(Harness h, Run run, String nodeId) {
        h.stack.counter.reset();
        int before = h.pump.handled();
        h.pump.until(() -> h.pump.handled() > before, Duration.ofSeconds(20), "the message for " + nodeId);
        Cost c = new Cost(h.stack.counter.calls().size(), h.stack.counter.writeUnits(), h.stack.counter.byOperation());
        h.stack.counter.reset();
        return c;
    }
}
