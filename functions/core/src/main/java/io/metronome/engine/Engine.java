package io.metronome.engine;

import io.metronome.engine.nodes.NodeExecutors;
import io.metronome.store.ApiKeyRepository;
import io.metronome.store.AuditRepository;
import io.metronome.store.MetronomeRepository;
import io.metronome.store.RunData;
import io.metronome.store.RunEventLog;
import io.metronome.store.RunRepository;
import io.metronome.store.StepRepository;
import io.metronome.store.Tables;
import io.metronome.store.TriggerEventRepository;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;

/**
 * The composition root: builds the SDK clients once (per Lambda container), the repositories and the services
 * from environment variables. Endpoints, region and credentials come from the SDK's standard environment
 * (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS, ...), so one jar talks to AWS or to emulators.
 */
public final class Engine {
    public final Tables tables;
    public final RunRepository runs;
    public final StepRepository steps;
    public final RunData runData;
    public final AuditRepository audit;
    public final TriggerEventRepository triggerEvents;
    public final MetronomeRepository metronomes;
    public final ApiKeyRepository apiKeys;
    public final Dispatcher dispatcher;
    public final Worker worker;
    public final RunService runService;
    public final MetronomeService metronomeService;
    public final Triggers triggers;
    public final Sweeper sweeper;
    public final RunEventLog eventLog;
    public final StatusNotifier statusNotifier;
    public final RunEventFeed eventFeed;
    /** Bulk pause, resume and cancel; its jobs' messages go to the bulk queue (none configured: only dry runs). */
    public final BulkJobs bulkJobs;

    /** An engine whose run status changes are log lines (the local stack, tests). */
    public Engine(DynamoDbClient dynamo, SqsClient sqs, Tables tables, String queueUrl, EngineSettings settings,
                  NodeExecutors executors, Clock clock) {
        this(dynamo, sqs, tables, queueUrl, settings, executors, clock, StatusNotifier.logging());
    }

    public Engine(DynamoDbClient dynamo, SqsClient sqs, Tables tables, String queueUrl, EngineSettings settings,
                  NodeExecutors executors, Clock clock, StatusNotifier statusNotifier) {
        this(dynamo, sqs, tables, queueUrl, null, settings, executors, clock, statusNotifier);
    }

    /** @param bulkQueueUrl the bulk queue (BULK_QUEUE_URL), or null */
    public Engine(DynamoDbClient dynamo, SqsClient sqs, Tables tables, String queueUrl, String bulkQueueUrl,
                  EngineSettings settings, NodeExecutors executors, Clock clock, StatusNotifier statusNotifier) {
        this.statusNotifier = statusNotifier;
        this.eventLog = new RunEventLog(dynamo, tables);
        this.tables = tables;
        this.runs = new RunRepository(dynamo, tables);
        this.steps = new StepRepository(dynamo, tables);
        this.runData = new RunData(dynamo, tables);
        this.audit = new AuditRepository(dynamo, tables);
        this.triggerEvents = new TriggerEventRepository(dynamo, tables);
        this.metronomes = new MetronomeRepository(dynamo, tables);
        this.apiKeys = new ApiKeyRepository(dynamo, tables);
        this.dispatcher = new Dispatcher(sqs, queueUrl, clock);
        this.runService = new RunService(runs, steps, runData, audit, triggerEvents, metronomes, dispatcher, settings, clock);
        this.worker = new Worker(runs, steps, runData, metronomes, dispatcher, executors, settings, clock, runService);
        this.metronomeService = new MetronomeService(metronomes, executors.egress(), clock);
        this.triggers = new Triggers(metronomes, triggerEvents, runService, clock);
        this.bulkJobs = new BulkJobs(runService, runs, metronomes, audit, new io.metronome.store.BulkJobRepository(dynamo, tables),
                sqs, bulkQueueUrl, clock);
        this.sweeper = new Sweeper(runs, dispatcher, settings.sweep(), clock, bulkJobs);
        this.eventFeed = new RunEventFeed(runService, eventLog, PollSchedule.FOLLOW, clock, RunEventFeed.sleeping(clock));
    }

    private static Engine shared;

    /** The engine of this Lambda container, built from its environment on first use. */
    public static synchronized Engine shared() {
        if (shared == null) {
            shared = fromEnvironment(System::getenv);
        }
        return shared;
    }

    /**
     * The longest one AWS call (with the SDK's retries) may take in a deployed function: it bounds the writes around
     * a node and the stepFunction and sqs nodes' own calls (see {@link NodeTimeLimits}).
     */
    public static final Duration AWS_CALL_TIMEOUT = Duration.ofSeconds(10);

    /** What every SDK client of a deployed function is built with: traced, and each call bounded. */
    public static ClientOverrideConfiguration clientConfiguration(Function<String, String> env) {
        return io.metronome.observe.XRay.clientConfiguration(env).toBuilder().apiCallTimeout(AWS_CALL_TIMEOUT).build();
    }

    public static Engine fromEnvironment(Function<String, String> env) {
        ClientOverrideConfiguration config = clientConfiguration(env);
        DynamoDbClient dynamo = DynamoDbClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(config).build();
        SqsClient sqs = SqsClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(config).build();
        // Built when a stepFunction node first runs, not at start: only the worker ever needs it.
        java.util.function.Supplier<software.amazon.awssdk.services.sfn.SfnClient> sfn = () ->
                software.amazon.awssdk.services.sfn.SfnClient.builder()
                        .httpClientBuilder(UrlConnectionHttpClient.builder()).overrideConfiguration(config).build();
        String queueUrl = env.apply("NODE_QUEUE_URL");
        if (queueUrl == null || queueUrl.isBlank()) {
            throw new IllegalStateException("environment variable NODE_QUEUE_URL is not set");
        }
        String bulkQueueUrl = env.apply("BULK_QUEUE_URL");
        return new Engine(dynamo, sqs, Tables.fromEnvironment(env), queueUrl,
                bulkQueueUrl == null || bulkQueueUrl.isBlank() ? null : bulkQueueUrl, EngineSettings.fromEnvironment(env),
                NodeExecutors.standard(env, sqs, sfn), Clock.systemUTC(), StatusNotifier.fromEnvironment(env));
    }
}
