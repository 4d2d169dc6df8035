package io.metronome.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Step;
import io.metronome.domain.StepStatus;
import io.metronome.egress.EgressPolicy;
import io.metronome.engine.Engine;
import io.metronome.engine.EngineSettings;
import io.metronome.engine.RunService;
import io.metronome.engine.nodes.NodeExecutors;
import io.metronome.store.TableSetup;
import io.metronome.store.Tables;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One engine on its own fresh queue (the tables are shared; every test works on its own metronomes and runs).
 * Leases are short and the queue's visibility timeout is one second, so crash recovery happens within a test.
 */
public final class Harness {
    public static final String USER = "user-a";

    public final TestStack stack = TestStack.get();
    public final String queueUrl;
    public final Engine engine;
    public final Pump pump;

    public Harness() {
        this(Duration.ofSeconds(2));
    }

    public Harness(Duration lease) {
        this(lease, Clock.systemUTC());
    }

    public Harness(Duration lease, Clock clock) {
        this(lease, clock, Map.of());
    }

    /**
     * @param env configuration the node executors read (LLM_API_URL, prices, ...); nodes are held to the local
     *            egress policy, so they reach test servers on loopback but not the emulators
     */
    public Harness(Duration lease, Clock clock, Map<String, String> env) {
        this(lease, clock, env, null, null);
    }

    /**
     * One engine whose DynamoDB client also reports to {@code extra} (counted like the others): e.g. a recorder
     * of the items the engine writes.
     */
    public static Harness observedBy(software.amazon.awssdk.core.interceptor.ExecutionInterceptor extra) {
        return observedBy(extra, Clock.systemUTC());
    }

    /** As above, on a clock of the test's. */
    public static Harness observedBy(software.amazon.awssdk.core.interceptor.ExecutionInterceptor extra, Clock clock) {
        return new Harness(Duration.ofSeconds(2), clock, Map.of(), null, TestStack.get().dynamo(extra));
    }

    /**
     * One engine on tables of its own (created here), for a test that reads a whole index or table and must not
     * meet other tests' runs.
     */
    public static Harness withOwnTables(Duration lease, Clock clock) {
        return withOwnTables(lease, clock, false);
    }

    /** @param runsStream the runs table with its stream (both images), as deployed */
    public static Harness withOwnTables(Duration lease, Clock clock, boolean runsStream) {
        Tables own = Tables.withPrefix("own-" + UUID.randomUUID() + "-");
        TableSetup.createAll(TestStack.get().plainDynamo, own, runsStream);
        return new Harness(lease, clock, Map.of(), own, null);
    }

    private Harness(Duration lease, Clock clock, Map<String, String> env, Tables tables,
                    software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamo) {
        queueUrl = stack.plainSqs.createQueue(r -> r.queueName("nodes-" + UUID.randomUUID())
                .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1"))).queueUrl();
        Map<String, String> config = new java.util.HashMap<>(env);
        config.putIfAbsent("NODE_QUEUE_URL", queueUrl); // as deployed: sqs nodes learn the engine's own queue from it
        engine = new Engine(dynamo != null ? dynamo : stack.dynamo, stack.sqs, tables != null ? tables : stack.tables, queueUrl,
                new EngineSettings("worker-test-" + UUID.randomUUID(), lease, 3, io.metronome.engine.SweepSettings.DEFAULTS,
                        env.containsKey("MAX_REDRIVES") ? Integer.parseInt(env.get("MAX_REDRIVES"))
                                : EngineSettings.DEFAULT_MAX_REDRIVES),
                NodeExecutors.standard(config::get, EgressPolicy.local(env.get("EGRESS_ALLOW_LIST"), stack.ports()), stack.sqs,
                        () -> stack.sfn(env.get("AWS_ENDPOINT_URL_SFN"))), clock);
        pump = new Pump(stack.plainSqs, queueUrl, engine.worker::handle);
    }

    public Metronome metronome(String definitionJson) {
        return metronome(USER, definitionJson);
    }

    public Metronome metronome(String user, String definitionJson) {
        JsonNode body = Json.read("{\"name\": \"test\", \"definition\": " + definitionJson + "}");
        return engine.metronomeService.create(user, body).metronome();
    }

    public Run start(Metronome m, String bodyJson) {
        return engine.runService.start(m.userId(), m.id(), Json.read(bodyJson)).run();
    }

    public Run run(Run r) {
        return engine.runService.get(r.userId(), r.metronomeId(), r.id());
    }

    /**
     * The whole timeline, read page by page (three steps and three events a page, so that every test that reads
     * a timeline pages through it), as one: the pages' lists joined, the run and summary of the last page.
     */
    public RunService.Timeline timeline(Run r) {
        return timeline(r, 3);
    }

    public RunService.Timeline timeline(Run r, int pageSize) {
        java.util.List<Step> steps = new java.util.ArrayList<>();
        java.util.List<io.metronome.domain.AuditEvent> events = new java.util.ArrayList<>();
        String cursor = null;
        RunService.Timeline page;
        int pages = 0;
        do {
            page = engine.runService.timeline(r.userId(), r.metronomeId(), r.id(), pageSize, cursor);
            steps.addAll(page.steps());
            events.addAll(page.auditEvents());
            cursor = page.nextCursor();
            assertThat(++pages).as("pages of " + r.id()).isLessThan(100_000);
        } while (cursor != null);
        return new RunService.Timeline(page.run(), page.triggerEvent(), steps, events, page.summary(), null);
    }

    public Run awaitStatus(Run r, RunStatus status) {
        pump.until(() -> run(r).status() == status, Duration.ofSeconds(30), r.id() + " to become " + status.wire());
        return run(r);
    }

    /**
     * Every count in the summary agrees with the arrays the timeline returns, and each node attempt has one step
     * in each life of the run: a redrive (audited {@code run.redriven}, counted in the run's {@code redriveCount})
     * starts a life in which attempts count from 1 again, so a step belongs to the life of the last redrive
     * audited at or before it was created.
     */
    public static void assertConsistent(RunService.Timeline t) {
        Map<StepStatus, Integer> counted = new EnumMap<>(StepStatus.class);
        for (StepStatus s : StepStatus.values()) {
            counted.put(s, 0);
        }
        t.steps().forEach(s -> counted.merge(s.status(), 1, Integer::sum));
        assertThat(t.summary().stepCount()).as("stepCount").isEqualTo(t.steps().size());
        assertThat(t.summary().statusCounts()).as("statusCounts").isEqualTo(counted);
        assertThat(t.summary().completedStepCount()).isEqualTo(counted.get(StepStatus.COMPLETED));
        assertThat(t.summary().failedStepCount()).isEqualTo(counted.get(StepStatus.FAILED));
        assertThat(t.summary().cancelledStepCount()).isEqualTo(counted.get(StepStatus.CANCELLED));
        assertThat(t.summary().pausedStepCount()).isEqualTo(counted.get(StepStatus.PAUSED));
        assertThat(t.summary().auditEventCount()).as("auditEventCount").isEqualTo(t.auditEvents().size());
        assertThat(t.summary().totalAttempts()).as("totalAttempts")
                .isEqualTo((int) t.steps().stream().filter(s -> s.startedAt() != null).count());
        long duration = t.steps().stream().filter(s -> s.status().isFinal() && s.durationMs() != null)
                .mapToLong(Step::durationMs).sum();
        assertThat(t.summary().totalDurationMs()).as("totalDurationMs").isEqualTo(duration);
        assertThat(t.steps()).extracting(Step::id).doesNotHaveDuplicates();
        java.util.List<java.time.Instant> redrives = t.auditEvents().stream()
                .filter(e -> e.action().equals("run.redriven")).map(io.metronome.domain.AuditEvent::createdAt)
                .sorted().toList();
        assertThat(redrives).as("a run.redriven audited for each redrive counted").hasSize(t.run().lineage().redriveCount());
        assertThat(t.steps().stream().map(s -> life(redrives, s) + "/" + s.nodeId() + "#" + s.attempt()).toList())
                .as("one step per node attempt in each life of the run").doesNotHaveDuplicates();
        assertThat(t.summary().status()).isEqualTo(t.run().status().wire());
    }

    /** Which life of its run a step belongs to: 0 before the first redrive, n after the n-th. */
    private static int life(java.util.List<java.time.Instant> redrives, Step s) {
        return (int) redrives.stream().filter(at -> !at.isAfter(s.createdAt())).count();
    }

    public static Map<String, StepStatus> lastStatusByNode(RunService.Timeline t) {
        Map<String, StepStatus> m = new java.util.LinkedHashMap<>();
        t.steps().forEach(s -> m.put(s.nodeId(), s.status()));
        return m;
    }

    public static RunStatus status(Run r) {
        return r.status();
    }
}
