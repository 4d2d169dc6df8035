package io.metronome.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import io.metronome.api.RouteTable;
import io.metronome.api.handlers.RouteNotFoundHandler;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.metronome.local.SamTemplate.map;
import static io.metronome.local.SamTemplate.properties;
import static org.assertj.core.api.Assertions.assertThat;

/** template.yaml, read with CloudFormation's short tags, checked against the code and the contract. */
class TemplateTest {
    private static final Path ROOT = Path.of("../..");
    private static final SamTemplate TEMPLATE = SamTemplate.load(ROOT.resolve("template.yaml"));
    private static final Map<String, Map<String, Object>> FUNCTIONS = TEMPLATE.resources("AWS::Serverless::Function");

    @Test
    void everyHandlerExistsAndHandlesTheEventItsTriggerSends() throws Exception {
        String authorizer = TEMPLATE.defaultAuthorizerFunction();
        assertThat(authorizer).isEqualTo("AuthorizerFunction");
        for (var f : FUNCTIONS.entrySet()) {
            String handler = String.valueOf(properties(f.getValue()).get("Handler"));
            assertThat(handler).as(f.getKey()).endsWith("::handleRequest");
            Class<?> type = Class.forName(handler.substring(0, handler.indexOf("::")));
            Class<?>[] handled = SampleEventsTest.handledTypes(type);
            Set<String> triggers = new TreeSet<>();
            map(properties(f.getValue()).get("Events")).values().forEach(e -> triggers.add(String.valueOf(map(e).get("Type"))));
            if (f.getKey().equals(authorizer)) {
                assertThat(handled).as(f.getKey()).containsExactly(APIGatewayV2CustomAuthorizerEvent.class,
                        SimpleIAMPolicyResponse.class);
            } else if (triggers.equals(Set.of("HttpApi"))) {
                assertThat(handled).as(f.getKey()).containsExactly(APIGatewayV2HTTPEvent.class, APIGatewayV2HTTPResponse.class);
            } else if (triggers.equals(Set.of("SQS"))) {
                assertThat(handled).as(f.getKey()).containsExactly(SQSEvent.class, SQSBatchResponse.class);
            } else if (triggers.equals(Set.of("Schedule")) || triggers.equals(Set.of("EventBridgeRule"))) {
                // EventBridge hands over its event as JSON: a map in, a small summary out.
                assertThat(handled).as(f.getKey()).containsExactly(Map.class, Map.class);
            } else {
                throw new AssertionError(f.getKey() + " has triggers this test does not know: " + triggers);
            }
            // Lambda's runtime needs the no-argument constructor; tests and the local stack use the other one.
            assertThat(type.getConstructor()).as(f.getKey() + " has a no-argument constructor").isNotNull();
        }
    }

    @Test
    void theHttpRoutesAreExactlyTheOnesInTheOpenApiDocument() throws IOException {
        Set<String> routes = new TreeSet<>();
        TEMPLATE.routes().forEach(r -> routes.add(r.method() + " " + r.path()));
        Map<String, Object> openapi = new Yaml().load(Files.readString(ROOT.resolve("infra/openapi.yaml")));
        Set<String> documented = new TreeSet<>();
        map(openapi.get("paths")).forEach((path, ops) -> map(ops).keySet()
                .forEach(method -> documented.add(method.toUpperCase() + " " + path)));
        assertThat(routes).isEqualTo(documented);
        // The $default route's handler reads the same list, from the copy of the document in its jar.
        assertThat(RouteTable.fromOpenApi().routeKeys()).isEqualTo(routes);
        // and every route but health and webhook deliveries (which are signed) is behind the authorizer
        TEMPLATE.routes().forEach(r -> assertThat(r.authorized()).as(r.path())
                .isEqualTo(!r.path().equals("/health") && !r.path().startsWith("/v1/hooks/")));
    }

    @Test
    void everyOtherRequestGoesToTheDefaultRouteWhichNeedsNoKeyAndIsGrantedNothing() {
        SamTemplate.Route fallback = TEMPLATE.defaultRoute().orElseThrow();
        assertThat(fallback.routeKey()).isEqualTo("$default");
        assertThat(fallback.functionId()).isEqualTo("RouteNotFoundFunction");
        assertThat(fallback.handler()).isEqualTo(RouteNotFoundHandler.class.getName() + "::handleRequest");
        // A caller without a key still learns that a route does not exist (404) or which methods a path has (405).
        assertThat(fallback.authorized()).isFalse();
        assertThat(properties(FUNCTIONS.get("RouteNotFoundFunction"))).doesNotContainKey("Policies");
        assertThat(TEMPLATE.routes()).noneMatch(r -> r.functionId().equals("RouteNotFoundFunction"));
    }

    @Test
    void everyEnvironmentVariableTheCodeReadsIsSetAndEverySetOneIsRead() throws IOException {
        Set<String> read = new TreeSet<>();
        Pattern lookup = Pattern.compile("(?:env\\.apply|required\\(env,|System\\.getenv)\\(?\\s*\"([A-Z0-9_]+)\"");
        try (Stream<Path> files = Files.walk(ROOT.resolve("functions"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/")).toList()) {
                Matcher m = lookup.matcher(Files.readString(p));
                while (m.find()) {
                    read.add(m.group(1));
                }
            }
        }
        // Lambda's own: where it runs, its log level (from LoggingConfig), X-Ray's daemon and trace header.
        Set<String> providedByLambda = Set.of("AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_FUNCTION_NAME",
                "LAMBDA_TASK_ROOT", "AWS_LAMBDA_LOG_LEVEL", "AWS_XRAY_DAEMON_ADDRESS", "_X_AMZN_TRACE_ID");
        Set<String> set = new TreeSet<>(TEMPLATE.globalEnvironment().keySet());
        assertThat(read).as("variables the code reads").isNotEmpty();
        Set<String> missing = new TreeSet<>(read);
        missing.removeAll(set);
        missing.removeAll(providedByLambda);
        assertThat(missing).as("read by the code but not set by the template").isEmpty();
        Set<String> unused = new TreeSet<>(set);
        unused.removeAll(read);
        // Read by the JVM and the AWS SDK themselves, not by our code.
        unused.removeAll(Set.of("JAVA_TOOL_OPTIONS", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS",
                "AWS_ENDPOINT_URL_SFN"));
        assertThat(unused).as("set by the template but read by nothing").isEmpty();
    }

    @Test
    void theWorkerReportsPartialBatchFailuresAndItsQueueRedrivesToADeadLetterQueue() {
        Map<String, Object> worker = properties(FUNCTIONS.get("WorkerFunction"));
        Map<String, Object> sqs = map(map(map(worker.get("Events")).get("Nodes")).get("Properties"));
        assertThat(sqs.get("FunctionResponseTypes")).isEqualTo(List.of("ReportBatchItemFailures"));
        assertThat(((Number) sqs.get("BatchSize")).intValue()).isBetween(1, 10);
        assertThat(map(sqs.get("ScalingConfig"))).containsKey("MaximumConcurrency");

        var queues = TEMPLATE.resources("AWS::SQS::Queue");
        String queueId = String.valueOf(((List<?>) map(sqs.get("Queue")).get("Fn::GetAtt")).get(0));
        Map<String, Object> queue = properties(queues.get(queueId));
        Map<String, Object> redrive = map(queue.get("RedrivePolicy"));
        String dlq = String.valueOf(((List<?>) map(redrive.get("deadLetterTargetArn")).get("Fn::GetAtt")).get(0));
        assertThat(queues).containsKey(dlq);
        assertThat(((Number) redrive.get("maxReceiveCount")).intValue()).isBetween(2, 10);

        int workerTimeout = ((Number) worker.get("Timeout")).intValue();
        int visibility = ((Number) queue.get("VisibilityTimeout")).intValue();
        int lease = Integer.parseInt(String.valueOf(TEMPLATE.globalEnvironment().get("NODE_LEASE_SECONDS")));
        assertThat(visibility).as("visibility timeout >= 6 x the worker's timeout").isGreaterThanOrEqualTo(6 * workerTimeout);
        assertThat(lease).as("a node's lease outlasts the worker's timeout").isGreaterThan(workerTimeout);
        assertThat(lease).as("and ends before the message comes back").isLessThan(visibility);

        // An alarm watches the dead-letter queue, another the worker's errors.
        List<String> alarmed = new ArrayList<>();
        TEMPLATE.resources("AWS::CloudWatch::Alarm").values().forEach(a -> alarmed.add(properties(a).get("Dimensions").toString()));
        assertThat(alarmed).anyMatch(d -> d.contains(dlq)).anyMatch(d -> d.contains("WorkerFunction"));
    }

    @Test
    void tablesAreOnDemandEncryptedAndRecoverableAndNothingIsHardCoded() throws IOException {
        TEMPLATE.resources("AWS::DynamoDB::Table").forEach((id, t) -> {
            Map<String, Object> p = properties(t);
            assertThat(p.get("BillingMode")).as(id).isEqualTo("PAY_PER_REQUEST");
            assertThat(map(p.get("SSESpecification")).get("SSEEnabled")).as(id).isEqualTo(true);
            assertThat(p).as(id + " is named by CloudFormation").doesNotContainKey("TableName");
            if (!id.equals("IdempotencyTable")) {
                assertThat(map(p.get("PointInTimeRecoverySpecification")).get("PointInTimeRecoveryEnabled")).as(id).isEqualTo(true);
            }
        });
        assertThat(map(properties(TEMPLATE.resources("AWS::DynamoDB::Table").get("IdempotencyTable"))
                .get("TimeToLiveSpecification"))).containsEntry("AttributeName", "expiresAt").containsEntry("Enabled", true);
        TEMPLATE.resources("AWS::SQS::Queue").forEach((id, q) -> assertThat(properties(q)).doesNotContainKey("QueueName"));
        FUNCTIONS.forEach((id, f) -> assertThat(properties(f)).doesNotContainKey("FunctionName"));
        String text = Files.readString(ROOT.resolve("template.yaml"));
        assertThat(text).doesNotContainPattern("\\b\\d{12}\\b").doesNotContainPattern("(us|eu|ap|sa|ca|me|af)-[a-z]+-\\d");
        Map<String, Object> globals = map(map(TEMPLATE.raw().get("Globals")).get("Function"));
        assertThat(globals.get("Runtime")).isEqualTo("java21");
        assertThat(map(globals.get("SnapStart"))).containsEntry("ApplyOn", "PublishedVersions");
        assertThat(globals.get("Tracing")).isEqualTo("Active");
        // JSON log lines kept as they are, and the metric blobs (which Lambda counts as INFO) never filtered out.
        assertThat(map(globals.get("LoggingConfig"))).containsEntry("LogFormat", "JSON")
                .containsEntry("ApplicationLogLevel", "INFO").containsEntry("SystemLogLevel", "WARN");
        assertThat(String.valueOf(map(map(globals.get("Environment")).get("Variables")).get("JAVA_TOOL_OPTIONS")))
                .contains("-XX:TieredStopAtLevel=1");
        FUNCTIONS.forEach((id, f) -> assertThat(map(f.get("Metadata"))).as(id + " is built by Maven")
                .containsEntry("SkipBuild", true));
    }
}
