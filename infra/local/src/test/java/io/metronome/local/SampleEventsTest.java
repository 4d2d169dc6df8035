package io.metronome.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import io.metronome.domain.RunStatus;
import io.metronome.engine.Engine;
import io.metronome.engine.EngineSettings;
import io.metronome.engine.nodes.NodeExecutors;
import io.metronome.store.Tables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every file in {@code events/} run through its function's real handler, against the DynamoDB emulator and ElasticMQ
 * holding the sample data ({@link Samples}), so every sample a user invokes with {@code sam local invoke} is
 * known to work. Each function gets a cold engine of its own, and the tables and queues it touches are
 * compared with the policies {@code template.yaml} grants it: everything touched is granted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SampleEventsTest {
    private static final Path EVENTS = Path.of("../../events");
    private static final SamTemplate TEMPLATE = SamTemplate.load(Path.of("../../template.yaml"));
    /** An order in which every sample makes sense: reads before the changes, the queued run paused before resumed. */
    private static final List<String> ORDER = List.of("HealthFunction", "ConsoleFunction", "RouteNotFoundFunction", "AuthorizerFunction", "CreateMetronomeFunction",
            "ListMetronomesFunction", "GetMetronomeFunction", "CreateRunFunction", "ListRunsFunction", "GetRunFunction",
            "GetTimelineFunction", "GetRunEventsFunction", "SetRunBreakpointsFunction", "SchedulePauseFunction",
            "CancelScheduledPauseFunction", "PauseRunFunction", "ResumeRunFunction", "CancelRunFunction", "RedriveRunFunction",
            "RerunRunFunction", "ApproveRunFunction",
            "UpdateMetronomeFunction", "WorkerFunction", "WebhookFunction", "ListTriggerEventsFunction",
            "RotateWebhookSecretFunction", "ScheduleTickFunction", "EventTriggerFunction", "QueuedEventTriggerFunction", "SweeperFunction",
            "BulkRunsFunction", "BulkJobFunction", "GetBulkJobFunction", "RunEventsFunction", "RunStatusNotificationsFunction");

    private LocalStack stack;
    /** What the cold engines' status notifier was handed. */
    private final List<io.metronome.engine.StatusNotification> published = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    void start() throws Exception {
        stack = LocalStack.start(new LocalStack.Options(0, null, List.of(), Path.of("../../template.yaml"), 0, 0, true));
    }

    @AfterAll
    void stop() {
        stack.close();
    }

    @Test
    void thereIsOneSampleEventPerFunction() throws Exception {
        Set<String> files;
        try (Stream<Path> s = Files.list(EVENTS)) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && !n.equals("env.json"))
                    .map(n -> n.substring(0, n.length() - 5)).collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat(files).isEqualTo(new TreeSet<>(TEMPLATE.resources("AWS::Serverless::Function").keySet()));
        assertThat(files).isEqualTo(new TreeSet<>(ORDER));
    }

    /** env.json sets what the template declares, and names the tables and queue the local stack creates. */
    @Test
    void envJsonPointsEveryVariableAtTheLocalStack() throws Exception {
        Map<String, Object> parameters = SamTemplate.map(io.metronome.domain.Json.MAPPER.readValue(
                EVENTS.resolve("env.json").toFile(), Map.class).get("Parameters"));
        Set<String> declared = new TreeSet<>(TEMPLATE.globalEnvironment().keySet());
        declared.remove("JAVA_TOOL_OPTIONS");
        assertThat(new TreeSet<>(parameters.keySet())).isEqualTo(declared);
        Map<String, String> local = stack.environment();
        parameters.forEach((name, value) -> {
            switch (name) {
                case "AWS_ENDPOINT_URL_DYNAMODB" -> assertThat(value).isEqualTo("http://127.0.0.1:8000");
                case "AWS_ENDPOINT_URL_SQS" -> assertThat(value).isEqualTo("http://127.0.0.1:9324");
                case "AWS_ENDPOINT_URL_SFN" -> assertThat(value).as("Step Functions Local's port").isEqualTo("http://127.0.0.1:8083");
                case "NODE_QUEUE_URL", "BULK_QUEUE_URL" -> assertThat(value).isEqualTo(local.get(name)
                        .replace(":" + stack.emulators().sqsEndpoint().getPort() + "/", ":9324/"));
                default -> assertThat(value).as(name).isEqualTo(local.get(name));
            }
        });
    }

    @Test
    void everySampleEventWorksThroughItsHandlerAndTouchesOnlyWhatItIsGranted() throws Exception {
        Map<String, String> env = stack.environment();
        for (String function : ORDER) {
            if (function.equals("ApproveRunFunction")) {
                awaitStatus(Samples.WAITING_RUN, RunStatus.WAITING_APPROVAL); // the local worker brings it there
            }
            if (function.equals("CancelRunFunction")) {
                // Resumed just before, the run is on its way: cancel it where it waits, with a node to cancel.
                awaitStatus(Samples.QUEUED_RUN, RunStatus.WAITING_APPROVAL);
            }
            if (function.equals("RedriveRunFunction")) {
                // Cancelled just before: redriven once the local worker has closed it.
                awaitClosed(Samples.QUEUED_RUN);
            }
            ResourceRecorder touched = new ResourceRecorder();
            // The sweeper an hour on, when the stranded sample run is overdue: it finds it and sends it again.
            Engine cold = engine(env, touched, function.equals("SweeperFunction")
                    ? Clock.offset(Clock.systemUTC(), Duration.ofHours(1)) : Clock.systemUTC());
            String handlerName = TEMPLATE.handler(function);
            RequestHandler<Object, Object> handler = LocalStack.instantiate(handlerName, cold);
            Class<?> input = handledTypes(handler.getClass())[0];
            Object event = EventLoader.loadEvent(EVENTS.resolve(function + ".json").toString(), input);
            if (function.equals("WebhookFunction")) {
                resign((APIGatewayV2HTTPEvent) event); // its file's timestamp is long past the replay window
            }
            if (function.equals("SchedulePauseFunction")) {
                keepAhead((APIGatewayV2HTTPEvent) event); // its file's times may have passed by the day it runs
            }

            Object response = handler.handleRequest(event, null);

            check(function, event, response);
            // What its sample touches is granted; that nothing more is granted than its code can touch on any path
            // is TemplateTest's (from the code, since one sample takes one path).
            TemplateGrants granted = TemplateGrants.of(TEMPLATE, function);
            assertThat(touched.reads).as(function + " reads only tables it may read")
                    .isSubsetOf(union(granted.reads(), granted.writes()));
            assertThat(touched.writes).as(function + " writes only tables it may write").isSubsetOf(granted.writes());
            assertThat(touched.sends).as(function + " sends only to queues it may send to").isSubsetOf(granted.sends());
        }
    }

    /** Moves the sample's pause window to tomorrow if its day has come, keeping its length and reason. */
    private static void keepAhead(APIGatewayV2HTTPEvent event) {
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) io.metronome.domain.Json.read(event.getBody());
        Instant at = Instant.parse(body.get("at").asText());
        Instant resumeAt = Instant.parse(body.get("resumeAt").asText());
        if (at.isBefore(Instant.now().plus(Duration.ofHours(1)))) {
            Instant tomorrow = Instant.now().plus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            body.put("at", tomorrow.toString());
            body.put("resumeAt", tomorrow.plus(Duration.between(at, resumeAt)).toString());
            event.setBody(body.toString());
        }
    }

    private void check(String function, Object event, Object response) {
        if (response instanceof APIGatewayV2HTTPResponse r && function.equals("RouteNotFoundFunction")) {
            // DELETE on a path that has GET and PUT: outside the document's operations, so checked as the envelope.
            assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(405);
            assertThat(r.getHeaders()).containsEntry("Allow", "GET, PUT");
            Http.assertEnvelope(function, r.getHeaders().get("Content-Type"), r.getBody());
        } else if (response instanceof APIGatewayV2HTTPResponse r) {
            APIGatewayV2HTTPEvent e = (APIGatewayV2HTTPEvent) event;
            int expected = function.startsWith("Create") || function.equals("RerunRunFunction") ? 201 : function.equals("WebhookFunction") ? 202 : 200;
            assertThat(r.getStatusCode()).as(function + ": " + r.getBody()).isEqualTo(expected);
            var report = Http.CONTRACT.validateResponse(e.getRawPath(),
                    Request.Method.valueOf(e.getRequestContext().getHttp().getMethod()),
                    SimpleResponse.Builder.status(r.getStatusCode())
                            .withContentType(r.getHeaders().getOrDefault("Content-Type", "application/json"))
                            .withBody(r.getBody()).build());
            assertThat(report.hasErrors()).as(function + " response against the OpenAPI document: " + report).isFalse();
        } else if (response instanceof SimpleIAMPolicyResponse auth) {
            assertThat(auth.getIsAuthorized()).isTrue();
            assertThat(auth.getContext()).containsEntry("userId", Samples.USER);
        } else if (response instanceof SQSBatchResponse batch && function.equals("WorkerFunction")) {
            assertThat(batch.getBatchItemFailures()).isEmpty();
            var run = stack.engine().runs.find(Samples.WORKER_RUN).orElseThrow();
            assertThat(run.status()).isEqualTo(RunStatus.RUNNING);
            assertThat(run.node("total")).as("completed: off the run item").isNull();
            assertThat(stack.engine().steps.listByRun(run.id())).extracting(s -> s.nodeId() + " " + s.status().wire())
                    .contains("total completed");
        } else if (response instanceof SQSBatchResponse batch && function.equals("BulkJobFunction")) {
            // The sample job's one page: its one run id names no run, and the job is done.
            assertThat(batch.getBatchItemFailures()).isEmpty();
            var job = stack.engine().bulkJobs.get(Samples.USER, Samples.BULK_JOB, null, null);
            assertThat(job.job().completed()).isTrue();
            assertThat(job.results()).extracting(r -> r.runId() + " " + r.outcome())
                    .containsExactly(Samples.BULK_JOB_RUN + " not_found");
        } else if (response instanceof SQSBatchResponse batch) {
            assertThat(batch.getBatchItemFailures()).isEmpty();
            assertThat(runsOf(Samples.EVENT_METRONOME)).as("the queued sample event started a run").hasSize(2);
        } else if (response instanceof com.amazonaws.services.lambda.runtime.events.StreamsEventResponse batch
                && function.equals("RunStatusNotificationsFunction")) {
            // The same two records: the run's two status changes, published in order.
            assertThat(batch.getBatchItemFailures()).isEmpty();
            assertThat(published).extracting(n -> n.runId() + " " + n.oldStatus() + ">" + n.newStatus() + " " + n.eventId())
                    .containsExactly("run_00000000000000000000000009 null>QUEUED 1.0",
                            "run_00000000000000000000000009 QUEUED>RUNNING 2.0");
        } else if (response instanceof com.amazonaws.services.lambda.runtime.events.StreamsEventResponse batch) {
            // Its two records: a run created, then picked up (the sample's own run id: no other sample has it).
            assertThat(batch.getBatchItemFailures()).isEmpty();
            assertThat(stack.engine().eventLog.after("run_00000000000000000000000009", null, 100).events())
                    .extracting(e -> e.id() + " " + e.type().wire())
                    .containsExactly("1.0 workflow.queued", "2.0 workflow.started");
        } else if (response instanceof Map<?, ?> summary && function.equals("ScheduleTickFunction")) {
            assertThat(summary.get("runsStarted")).isEqualTo(1L);
            assertThat(runsOf(Samples.SCHEDULED_METRONOME)).hasSize(1);
        } else if (response instanceof Map<?, ?> summary && function.equals("SweeperFunction")) {
            assertThat(summary.get("finished")).isEqualTo(true);
            assertThat((Integer) summary.get("runsRedispatched")).as("the stranded sample run").isGreaterThanOrEqualTo(1);
            try {
                awaitStatus(Samples.STRANDED_RUN, RunStatus.COMPLETED); // the local worker runs what was sent
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        } else if (response instanceof Map<?, ?> summary) {
            assertThat(summary.get("runsStarted")).isEqualTo(1L);
            assertThat(runsOf(Samples.EVENT_METRONOME)).hasSize(1);
        } else {
            throw new AssertionError(function + " answered " + response);
        }
    }

    private java.util.List<io.metronome.domain.Run> runsOf(String metronomeId) {
        return stack.engine().runService.list(Samples.USER, metronomeId, null, 100, null).runs();
    }

    /** Signs a webhook sample as its sender would now: the sample's secret over the current timestamp and the body. */
    private static void resign(APIGatewayV2HTTPEvent event) {
        String ts = Long.toString(Instant.now().getEpochSecond());
        Map<String, String> headers = new java.util.HashMap<>(event.getHeaders());
        headers.put("x-metronome-timestamp", ts);
        headers.put("x-metronome-signature", "v1=" + io.metronome.engine.Triggers.sign(Samples.WEBHOOK_SECRET,
                ts + "." + headers.get("x-metronome-delivery") + ".",
                event.getBody().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        event.setHeaders(headers);
    }

    /** A fresh engine (cold caches, as in a new Lambda container) whose AWS calls are recorded. */
    private Engine engine(Map<String, String> env, ResourceRecorder recorder, Clock clock) {
        ClientOverrideConfiguration config = ClientOverrideConfiguration.builder().addExecutionInterceptor(recorder).build();
        DynamoDbClient dynamo = LocalClients.dynamo(stack.emulators().dynamoEndpoint(), config);
        SqsClient sqs = LocalClients.sqs(stack.emulators().sqsEndpoint(), config);
        return new Engine(dynamo, sqs, Tables.fromEnvironment(env::get), env.get("NODE_QUEUE_URL"), env.get("BULK_QUEUE_URL"),
                EngineSettings.fromEnvironment(env::get), NodeExecutors.standard(env::get, sqs,
                () -> LocalClients.sfn(java.net.URI.create(env.get("AWS_ENDPOINT_URL_SFN")), config)), clock,
                notifications -> {
                    published.addAll(notifications);
                    return notifications.size();
                });
    }

    /** The event and response types of a RequestHandler implementation, from its generic declaration. */
    static Class<?>[] handledTypes(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Type t : c.getGenericInterfaces()) {
                if (t instanceof ParameterizedType p && p.getRawType() == RequestHandler.class) {
                    Type[] args = p.getActualTypeArguments();
                    return new Class<?>[]{raw(args[0]), raw(args[1])};
                }
            }
        }
        throw new AssertionError(type + " is not a RequestHandler");
    }

    private static Class<?> raw(Type t) {
        return t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) t;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new TreeSet<>(a);
        u.addAll(b);
        return u;
    }

    private void awaitStatus(String runId, RunStatus status) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (stack.engine().runs.find(runId).orElseThrow().status() != status) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError(runId + " did not become " + status);
            }
            Thread.sleep(100);
        }
    }

    private void awaitClosed(String runId) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (!stack.engine().runs.find(runId).orElseThrow().closed()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError(runId + " was not closed");
            }
            Thread.sleep(100);
        }
    }

    static List<String> functions() {
        return new ArrayList<>(TEMPLATE.resources("AWS::Serverless::Function").keySet());
    }
}
