package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.Context;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.engine.SweepSettings;
import io.metronome.testing.Harness;
import io.metronome.testing.MovableClock;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The scheduled handler: it sweeps within the invocation's time, and says what it did. */
class SweeperHandlerTest {
    private final MovableClock clock = new MovableClock(Instant.now());
    private final Harness h = Harness.withOwnTables(Duration.ofSeconds(30), clock);
    private final SweeperHandler handler = new SweeperHandler(h.engine);

    @Test
    void itTakesNoPageWithoutTimeToFinishOneAndSweepsEverythingWhenThereIsTime() {
        Metronome m = h.metronome("""
                {"nodes": [{"id": "only", "type": "transform", "config": {"expression": "42"}}], "edges": []}""");
        Run run = h.start(m, "{}");
        h.stack.plainSqs.purgeQueue(r -> r.queueUrl(h.queueUrl)); // its first message lost
        clock.advance(SweepSettings.DEFAULTS.staleAfter());
        Map<String, Object> event = Map.of("source", "aws.events", "detail-type", "Scheduled Event");

        Map<String, Object> late = handler.handleRequest(event, remaining(SweeperHandler.RESERVE_MS - 1));
        assertThat(late).containsEntry("finished", false).containsEntry("runsExamined", 0);

        Map<String, Object> inTime = handler.handleRequest(event, remaining(60_000));
        assertThat(inTime).containsEntry("finished", true).containsEntry("runsExamined", 1)
                .containsEntry("runsRedispatched", 1).containsEntry("messagesSent", 1).containsEntry("sendFailures", 0);
        assertThat(h.awaitStatus(run, RunStatus.COMPLETED).output().asInt()).isEqualTo(42);
    }

    /** A Lambda context that has this much of its invocation left. */
    private static Context remaining(long millis) {
        return (Context) Proxy.newProxyInstance(Context.class.getClassLoader(), new Class<?>[]{Context.class},
                (proxy, method, args) -> method.getName().equals("getRemainingTimeInMillis") ? (int) millis : null);
    }
}
