package io.metronome.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import io.metronome.api.RouteTable;
import io.metronome.api.handlers.RouteNotFoundHandler;
import io.metronome.domain.DefinitionParser;
import io.metronome.engine.NodeTimeLimits;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
            } else if (triggers.equals(Set.of("DynamoDB"))) {
                assertThat(handled).as(f.getKey()).containsExactly(com.amazonaws.services.lambda.runtime.events.DynamodbEvent.class,
                        com.amazonaws.services.lambda.runtime.events.StreamsEventResponse.class);
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
        // and every route but health, webhook deliveries (which are signed) and the console's page and files (which
        // ask for a key, and send it with each API call) is behind the authorizer
        TEMPLATE.routes().forEach(r -> assertThat(r.authorized()).as(r.path())
                .isEqualTo(!r.path().equals("/health") && !r.path().startsWith("/v1/hooks/")
                        && !r.path().equals("/") && !r.path().equals("/console") && !r.path().startsWith("/console/")));
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
        // Lambda's own: where it runs, its log level (from LoggingConfig), X-Ray's daemon and trace header; and
        // LLM_API_KEY, set by the local stack only (deployed, the key is in Parameter Store).
        Set<String> providedByLambda = Set.of("AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_FUNCTION_NAME",
                "LAMBDA_TASK_ROOT", "AWS_LAMBDA_LOG_LEVEL", "AWS_XRAY_DAEMON_ADDRESS", "_X_AMZN_TRACE_ID", "LLM_API_KEY");
        Set<String> set = new TreeSet<>(TEMPLATE.globalEnvironment().keySet());
        // and a function's own (EVENT_BUS_NAME: only the run status notifications function publishes)
        FUNCTIONS.values().forEach(f -> set.addAll(map(map(properties(f).get("Environment")).get("Variables")).keySet()));
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
        assertThat(map(sqs.get("ScalingConfig"))).containsKey("MaximumConcurrency");

        var queues = TEMPLATE.resources("AWS::SQS::Queue");
        String queueId = String.valueOf(((List<?>) map(sqs.get("Queue")).get("Fn::GetAtt")).get(0));
        Map<String, Object> queue = properties(queues.get(queueId));
        Map<String, Object> redrive = map(queue.get("RedrivePolicy"));
        String dlq = String.valueOf(((List<?>) map(redrive.get("deadLetterTargetArn")).get("Fn::GetAtt")).get(0));
        assertThat(queues).containsKey(dlq);
        assertThat(((Number) redrive.get("maxReceiveCount")).intValue()).isBetween(2, 10);


        // An alarm watches the dead-letter queue, another the worker's errors.
        List<String> alarmed = new ArrayList<>();
        TEMPLATE.resources("AWS::CloudWatch::Alarm").values().forEach(a -> alarmed.add(String.valueOf(properties(a).get("Dimensions"))));
        assertThat(alarmed).anyMatch(d -> d.contains(dlq)).anyMatch(d -> d.contains("WorkerFunction"));
    }

    @Test
    void theWorkerTakesOneNodePerInvocationWithTimeForTheLongestNodeAndLeasesAndVisibilityOutlastIt() {
        Map<String, Object> worker = properties(FUNCTIONS.get("WorkerFunction"));
        Map<String, Object> sqs = map(map(map(worker.get("Events")).get("Nodes")).get("Properties"));
        assertThat(((Number) sqs.get("BatchSize")).intValue()).as("one node per invocation").isEqualTo(1);
        assertThat(((Number) sqs.get("MaximumBatchingWindowInSeconds")).intValue()).isZero();
        // It feeds its own queue: Lambda must not stop a long run as a recursive loop.
        assertThat(worker.get("RecursiveLoop")).isEqualTo("Allow");

        Duration timeout = Duration.ofSeconds(TEMPLATE.functionNumber("WorkerFunction", "Timeout",
                SamTemplate.DEFAULT_TIMEOUT_SECONDS));
        assertThat(NodeTimeLimits.LONGEST_NODE).as("the longest node is an http node at its longest timeoutMs")
                .isEqualTo(NodeTimeLimits.HTTP).isGreaterThan(Duration.ofMillis(DefinitionParser.MAX_HTTP_TIMEOUT_MS));
        assertThat(timeout).as("the worker's timeout covers the longest node and the writes around it")
                .isGreaterThanOrEqualTo(NodeTimeLimits.PER_MESSAGE);

        String queueId = String.valueOf(((List<?>) map(sqs.get("Queue")).get("Fn::GetAtt")).get(0));
        Duration visibility = Duration.ofSeconds(((Number) properties(TEMPLATE.resources("AWS::SQS::Queue").get(queueId))
                .get("VisibilityTimeout")).intValue());
        Duration lease = Duration.ofSeconds(Long.parseLong(String.valueOf(TEMPLATE.globalEnvironment().get("NODE_LEASE_SECONDS"))));
        assertThat(lease).as("a node's lease outlasts the invocation that took it").isGreaterThan(timeout);
        assertThat(visibility).as("visibility timeout >= 6 x the worker's timeout (AWS's guidance for SQS sources)")
                .isGreaterThanOrEqualTo(timeout.multipliedBy(6));
        assertThat(lease).as("and a lease ends before its message comes back").isLessThan(visibility);
    }

    @Test
    void theRunsStreamHasTwoReadersThatNeverSkipARecordAreWatchedAndOnlyTheNotifierPublishes() {
        List<SamTemplate.StreamSource> sources = TEMPLATE.streamSources();
        assertThat(sources).extracting(SamTemplate.StreamSource::functionId)
                .containsExactlyInAnyOrder("RunEventsFunction", "RunStatusNotificationsFunction");
        // DynamoDB Streams serves at most two readers a shard: a third would be throttled, and slow both others.
        assertThat(sources).extracting(SamTemplate.StreamSource::tableId).containsOnly("RunsTable");
        Map<String, String> alarmed = new java.util.HashMap<>();
        TEMPLATE.resources("AWS::CloudWatch::Alarm").forEach((id, a) -> {
            Map<String, Object> p = properties(a);
            if ("AWS/Lambda".equals(p.get("Namespace")) && p.get("Dimensions") instanceof List<?> dimensions) {
                dimensions.forEach(d -> alarmed.put(p.get("MetricName") + " " + map(map(d).get("Value")).get("Ref"), id));
            }
        });
        for (SamTemplate.StreamSource source : sources) {
            String id = source.functionId();
            Map<String, Object> mapping = map(map(map(map(properties(FUNCTIONS.get(id)).get("Events")).values()
                    .iterator().next()).get("Properties")));
            assertThat(mapping).as(id + ": from the first record, the first not done reported, none ever given up")
                    .containsEntry("StartingPosition", "TRIM_HORIZON")
                    .containsEntry("FunctionResponseTypes", List.of("ReportBatchItemFailures"))
                    .containsEntry("BisectBatchOnFunctionError", true)
                    .containsEntry("MaximumRetryAttempts", -1).containsEntry("MaximumRecordAgeInSeconds", -1);
            assertThat(map(map(mapping.get("DestinationConfig")).get("OnFailure")))
                    .containsEntry("Destination", Map.of("Fn::GetAtt", List.of("AsyncFailureQueue", "Arn")));
            assertThat(alarmed).as(id + " has an alarm on its iterator age and one on its errors")
                    .containsKeys("IteratorAge " + id, "Errors " + id);
        }
        // The log's writer cannot publish, so a bus that refuses can never fail a record of the log.
        assertThat(TemplateGrants.of(TEMPLATE, "RunEventsFunction").actions()).isEmpty();
        TemplateGrants notifier = TemplateGrants.of(TEMPLATE, "RunStatusNotificationsFunction");
        assertThat(notifier.actions()).containsExactly("events:PutEvents");
        assertThat(notifier.reads()).as("the notifier touches no table").isEmpty();
        assertThat(notifier.writes()).isEmpty();
    }

    @Test
    void followersHaveTheirOwnConcurrencyAndLeaveTheRestOfTheDefaultQuotaToTheWorkerAndTheApi() {
        Map<String, Object> events = properties(FUNCTIONS.get("GetRunEventsFunction"));
        assertThat(events.get("ReservedConcurrentExecutions")).isEqualTo(Map.of("Ref", "EventsFollowerConcurrency"));
        Map<String, Object> parameters = map(TEMPLATE.raw().get("Parameters"));
        int followers = ((Number) map(parameters.get("EventsFollowerConcurrency")).get("Default")).intValue();
        int worker = ((Number) map(parameters.get("WorkerMaxConcurrency")).get("Default")).intValue();
        assertThat(followers).isEqualTo(100);
        int reserved = 0;
        for (var f : FUNCTIONS.entrySet()) {
            Object r = properties(f.getValue()).get("ReservedConcurrentExecutions");
            reserved += r == null ? 0 : r instanceof Number n ? n.intValue() : followers;
        }
        // Lambda keeps 100 executions unreserved; the default quota is 1,000 a region.
        int unreservedMinimum = 100;
        int defaultQuota = 1000;
        assertThat(reserved + unreservedMinimum).as("deployable with the default quota").isLessThanOrEqualTo(defaultQuota);
        assertThat(defaultQuota - reserved).as("the reservations leave the worker many times its most")
                .isGreaterThanOrEqualTo(10 * worker);
    }

    @Test
    void theWorkersSampleEventIsWhatItsMappingSends() throws IOException {
        var event = io.metronome.domain.Json.MAPPER.readTree(ROOT.resolve("events/WorkerFunction.json").toFile());
        assertThat(event.get("Records")).hasSize(1);
    }

    @Test
    void theSweeperRunsOnItsScheduleOverTheSweepIndexAndIsGrantedExactlyWhatItCalls() {
        Map<String, Object> sweeper = properties(FUNCTIONS.get("SweeperFunction"));
        assertThat(sweeper.get("Handler")).isEqualTo(io.metronome.worker.SweeperHandler.class.getName() + "::handleRequest");
        Map<String, Object> schedule = map(map(map(sweeper.get("Events")).get("Sweep")).get("Properties"));
        assertThat(schedule.get("Schedule")).isEqualTo(Map.of("Fn::Sub", "rate(${SweepRateMinutes} minutes)"));
        Map<String, Object> rate = map(map(TEMPLATE.raw().get("Parameters")).get("SweepRateMinutes"));
        assertThat(rate).containsEntry("Type", "Number").containsEntry("Default", 5).containsEntry("MinValue", 2);
        assertThat(TEMPLATE.scheduledFunctions()).as("the local stack runs it at the parameter's default")
                .containsEntry("SweeperFunction", java.time.Duration.ofMinutes(5))
                .containsEntry("ScheduleTickFunction", java.time.Duration.ofMinutes(1));
        assertThat(((Number) sweeper.get("Timeout")).intValue() * 1000L).as("a sweep stops taking pages in time")
                .isGreaterThan(2 * io.metronome.worker.SweeperHandler.RESERVE_MS);

        // The sparse index it queries, on the runs table, keyed as the code writes it.
        Map<String, Object> runs = properties(TEMPLATE.resources("AWS::DynamoDB::Table").get("RunsTable"));
        Map<String, Object> index = ((List<?>) runs.get("GlobalSecondaryIndexes")).stream().map(SamTemplate::map)
                .filter(g -> io.metronome.store.Tables.RUNS_BY_SWEEP.equals(g.get("IndexName"))).findFirst().orElseThrow();
        assertThat(index.get("KeySchema")).isEqualTo(List.of(Map.of("AttributeName", "sweepShard", "KeyType", "HASH"),
                Map.of("AttributeName", "sweepAt", "KeyType", "RANGE")));
        assertThat(map(index.get("Projection"))).containsEntry("ProjectionType", "KEYS_ONLY");
        assertThat(new ArrayList<Object>((List<?>) runs.get("AttributeDefinitions"))).contains(Map.of("AttributeName", "sweepShard", "AttributeType", "S"),
                Map.of("AttributeName", "sweepAt", "AttributeType", "S"));

        // Least privilege: a query of that index, a batch read and an update of runs, sends to the node queue;
        // for stalled bulk jobs, a query, a read and an update of the steps table, sends to the bulk queue.
        List<?> policies = (List<?>) sweeper.get("Policies");
        assertThat(policies).hasSize(3);
        List<Object> statements = new ArrayList<>((List<?>) map(policies.get(0)).get("Statement"));
        assertThat(statements).containsExactly(
                Map.of("Effect", "Allow", "Action", "dynamodb:Query",
                        "Resource", Map.of("Fn::Sub", "${RunsTable.Arn}/index/bySweep")),
                Map.of("Effect", "Allow", "Action", List.of("dynamodb:BatchGetItem", "dynamodb:UpdateItem"),
                        "Resource", Map.of("Fn::GetAtt", List.of("RunsTable", "Arn"))),
                Map.of("Effect", "Allow", "Action", List.of("dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem"),
                        "Resource", Map.of("Fn::GetAtt", List.of("StepsTable", "Arn"))));
        assertThat(policies.get(1)).isEqualTo(Map.of("SQSSendMessagePolicy",
                Map.of("QueueName", Map.of("Fn::GetAtt", List.of("NodeQueue", "QueueName")))));
        assertThat(policies.get(2)).isEqualTo(Map.of("SQSSendMessagePolicy",
                Map.of("QueueName", Map.of("Fn::GetAtt", List.of("BulkJobQueue", "QueueName")))));

        // Its timings, set once in Globals: a message a dead invocation received comes back (after the visibility
        // timeout) before the sweeper would send it again, whether the node was still ready or held under a lease.
        int visibility = ((Number) properties(TEMPLATE.resources("AWS::SQS::Queue").get("NodeQueue")).get("VisibilityTimeout")).intValue();
        int lease = seconds("NODE_LEASE_SECONDS");
        int grace = seconds("SWEEP_GRACE_SECONDS");
        int staleAfter = seconds("SWEEP_STALE_AFTER_SECONDS");
        assertThat(grace).as("a ready node's message back from a dead invocation first").isGreaterThan(visibility);
        assertThat(lease + grace).as("a held node's message back first").isGreaterThan(visibility);
        assertThat(staleAfter).as("a run's first visit is no earlier than anything of it can be overdue").isGreaterThanOrEqualTo(grace);
        assertThat(io.metronome.engine.SweepSettings.fromEnvironment(name -> java.util.Objects.toString(TEMPLATE.globalEnvironment().get(name), null)))
                .as("the code's defaults are the template's").isEqualTo(io.metronome.engine.SweepSettings.DEFAULTS);
    }

    private static int seconds(String variable) {
        return Integer.parseInt(String.valueOf(TEMPLATE.globalEnvironment().get(variable)));
    }

    @Test
    void tablesAreOnDemandEncryptedAndRecoverableAndNothingIsHardCoded() throws IOException {
        TEMPLATE.resources("AWS::DynamoDB::Table").forEach((id, t) -> {
            Map<String, Object> p = properties(t);
            assertThat(p.get("BillingMode")).as(id).isEqualTo("PAY_PER_REQUEST");
            assertThat(map(p.get("SSESpecification")).get("SSEEnabled")).as(id).isEqualTo(true);
            assertThat(p).as(id + " is named by CloudFormation").doesNotContainKey("TableName");
            // The idempotency table too: restored without its keys, a retried start would make a second run.
            assertThat(map(p.get("PointInTimeRecoverySpecification")).get("PointInTimeRecoveryEnabled")).as(id).isEqualTo(true);
            // Deleting the stack, or a change that replaces a table, keeps the data; a table cannot be deleted by hand
            // while protected.
            assertThat(t).as(id).containsEntry("DeletionPolicy", "Retain").containsEntry("UpdateReplacePolicy", "Retain");
            assertThat(p.get("DeletionProtectionEnabled")).as(id).isEqualTo(true);
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
                .containsEntry("ApplicationLogLevel", "INFO").containsEntry("SystemLogLevel", "INFO");
        assertThat(String.valueOf(map(map(globals.get("Environment")).get("Variables")).get("JAVA_TOOL_OPTIONS")))
                .contains("-XX:TieredStopAtLevel=1");
        FUNCTIONS.forEach((id, f) -> assertThat(map(f.get("Metadata"))).as(id + " is built by Maven")
                .containsEntry("SkipBuild", true));
    }

    @Test
    void everyFunctionIsGrantedExactlyWhatItsCodeCanTouchOnAnyPath() throws ClassNotFoundException {
        for (var f : FUNCTIONS.entrySet()) {
            String handler = String.valueOf(properties(f.getValue()).get("Handler"));
            CodeAccess.Access code = CodeAccess.of(Class.forName(handler.substring(0, handler.indexOf("::"))));
            TemplateGrants granted = TemplateGrants.of(TEMPLATE, f.getKey());
            Set<String> writes = logicalIds(code.writes());
            Set<String> reads = logicalIds(code.reads());
            reads.removeAll(writes);
            Set<String> actions = new TreeSet<>();
            code.calls().forEach(call -> actions.add(iamAction(call)));
            Set<String> sends = new TreeSet<>(code.sends());
            if (sends.remove("sqs-node-queues")) {
                actions.add("sqs:SendMessage"); // the user's queues, by a name prefix
            }
            assertThat(granted.writes()).as(f.getKey() + " may write exactly the tables its code writes").isEqualTo(writes);
            Set<String> grantedReads = new TreeSet<>(granted.reads());
            grantedReads.removeAll(granted.writes());
            assertThat(grantedReads).as(f.getKey() + " may read exactly the tables its code only reads").isEqualTo(reads);
            assertThat(granted.sends()).as(f.getKey() + " may send to exactly the queues its code sends to")
                    .isEqualTo(logicalIds(sends));
            // and each DynamoDB operation on each table, which a hand-written least-privilege statement may miss
            code.operations().forEach((variable, operations) -> {
                String table = logicalIds(Set.of(variable)).iterator().next();
                assertThat(granted.tableActions().getOrDefault(table, Set.of()))
                        .as(f.getKey() + " may call on " + table + " what its code does").containsAll(operations);
            });
            assertThat(granted.actions()).as(f.getKey() + " is granted exactly the other calls its code makes "
                    + code.calls().stream().map(c -> c + " by " + code.path(c)).toList()).isEqualTo(actions);
        }
        // The analysis sees through the layers: the cancel function's send is three calls deep, behind the service.
        assertThat(CodeAccess.of(io.metronome.api.handlers.CancelRunHandler.class).sends()).contains("NODE_QUEUE_URL");
    }

    /** Tables and queues, from the environment variables that name them to their logical ids. */
    private static Set<String> logicalIds(Set<String> variables) {
        Set<String> out = new TreeSet<>();
        for (String v : variables) {
            Object value = TEMPLATE.globalEnvironment().get(v);
            assertThat(value).as(v + " is set to a resource of the template").isInstanceOf(Map.class);
            out.add(String.valueOf(map(value).get("Ref")));
        }
        return out;
    }

    /** An SDK call as the IAM action it needs: sfn:startExecution is states:StartExecution. */
    private static String iamAction(String call) {
        String service = call.substring(0, call.indexOf(':'));
        String operation = call.substring(call.indexOf(':') + 1);
        String prefix = switch (service) {
            case "sfn" -> "states";
            case "ssm", "sqs" -> service;
            case "eventbridge" -> "events";
            default -> throw new AssertionError("an SDK call this test does not know the IAM name of: " + call);
        };
        return prefix + ":" + Character.toUpperCase(operation.charAt(0)) + operation.substring(1);
    }

    @Test
    void functionsAreCalledThroughTheirPublishedAliasSoSnapStartApplies() {
        // SnapStart restores published versions only: a reference to a function's own ARN means $LATEST.
        Set<String> functionArns = new TreeSet<>();
        walk(TEMPLATE.raw().get("Resources"), node -> {
            if (node.get("Fn::GetAtt") instanceof List<?> att && FUNCTIONS.containsKey(String.valueOf(att.get(0)))) {
                functionArns.add(att.toString());
            }
        });
        assertThat(functionArns).as("references to a function's unpublished ARN").isEmpty();
        Map<String, Object> authorizer = map(map(map(properties(TEMPLATE.resources("AWS::Serverless::HttpApi")
                .get("MetronomeApi")).get("Auth")).get("Authorizers")).get("ApiKeyAuthorizer"));
        assertThat(authorizer.get("FunctionArn")).isEqualTo(Map.of("Ref", "AuthorizerFunction.Alias"));
        Map<String, Object> globals = map(map(TEMPLATE.raw().get("Globals")).get("Function"));
        assertThat(globals.get("AutoPublishAlias")).isEqualTo("live");
    }

    @Test
    void asynchronouslyInvokedFunctionsKeepWhatTheyFailOnAndEveryFailureQueueIsWatched() {
        Set<String> failureQueues = new TreeSet<>();
        FUNCTIONS.forEach((id, f) -> {
            Map<String, Object> p = properties(f);
            boolean async = map(p.get("Events")).values().stream().map(e -> String.valueOf(map(e).get("Type")))
                    .anyMatch(type -> Set.of("Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent").contains(type));
            if (async) {
                Map<String, Object> onFailure = map(map(map(p.get("EventInvokeConfig")).get("DestinationConfig")).get("OnFailure"));
                assertThat(onFailure.get("Type")).as(id + " keeps failed events on a queue").isEqualTo("SQS");
                failureQueues.add(String.valueOf(((List<?>) map(onFailure.get("Destination")).get("Fn::GetAtt")).get(0)));
            }
            map(p.get("Events")).values().forEach(e -> {
                Object dlq = map(map(map(e).get("Properties")).get("DeadLetterConfig")).get("Arn");
                if (dlq != null) {
                    failureQueues.add(String.valueOf(((List<?>) map(dlq).get("Fn::GetAtt")).get(0)));
                }
            });
        });
        TEMPLATE.resources("AWS::SQS::Queue").values().forEach(q -> {
            Object target = map(properties(q).get("RedrivePolicy")).get("deadLetterTargetArn");
            if (target != null) {
                failureQueues.add(String.valueOf(((List<?>) map(target).get("Fn::GetAtt")).get(0)));
            }
        });
        assertThat(failureQueues).contains("AsyncFailureQueue", "NodeDeadLetterQueue", "TriggerEventDeadLetterQueue");
        assertThat(TEMPLATE.resources("AWS::SQS::Queue")).containsKeys(failureQueues.toArray(String[]::new));
        for (String queue : failureQueues) {
            assertThat(TEMPLATE.resources("AWS::CloudWatch::Alarm").values()).as(queue + " has an alarm on its depth")
                    .anyMatch(a -> "AWS/SQS".equals(properties(a).get("Namespace"))
                            && "ApproximateNumberOfMessagesVisible".equals(properties(a).get("MetricName"))
                            && String.valueOf(properties(a).get("Dimensions")).contains(queue));
        }
    }

    @Test
    void noSecretIsInAFunctionsConfiguration() {
        Set<String> secrets = new TreeSet<>();
        map(TEMPLATE.raw().get("Parameters")).forEach((name, p) -> {
            if (Boolean.TRUE.equals(map(p).get("NoEcho"))) {
                secrets.add(name);
            }
        });
        Set<String> referenced = new TreeSet<>();
        walk(map(map(TEMPLATE.raw().get("Globals")).get("Function")).get("Environment"), node -> {
            if (node.get("Ref") != null) {
                referenced.add(String.valueOf(node.get("Ref")));
            }
        });
        FUNCTIONS.values().forEach(f -> walk(properties(f).get("Environment"), node -> {
            if (node.get("Ref") != null) {
                referenced.add(String.valueOf(node.get("Ref")));
            }
        }));
        referenced.retainAll(secrets);
        assertThat(referenced).as("secret parameters in environment variables (readable by anyone who may read the "
                + "function's configuration)").isEmpty();
        // The llm nodes' key is read at run time from Parameter Store, by the one function that runs them.
        assertThat(String.valueOf(TEMPLATE.globalEnvironment().get("LLM_API_KEY_PARAMETER"))).contains("LlmApiKeyParameter");
        FUNCTIONS.keySet().forEach(id -> assertThat(TemplateGrants.of(TEMPLATE, id).actions().contains("ssm:GetParameter"))
                .as(id + " reads the key").isEqualTo(id.equals("WorkerFunction")));
    }

    /** Every map in a template subtree, depth first. */
    private static void walk(Object node, java.util.function.Consumer<Map<String, Object>> visit) {
        if (node instanceof Map<?, ?> m) {
            visit.accept(map(m));
            m.values().forEach(v -> walk(v, visit));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> walk(v, visit));
        }
    }

    @Test
    void theDashboardParsesNamesOnlyResourcesOfTheTemplateAndShowsEveryAlarm() throws IOException {
        Map<String, Object> dashboard = properties(TEMPLATE.resources("AWS::CloudWatch::Dashboard").get("Dashboard"));
        String body = String.valueOf(map(dashboard.get("DashboardBody")).get("Fn::Sub"));
        Set<String> resources = map(TEMPLATE.raw().get("Resources")).keySet();
        Matcher ref = Pattern.compile("\\$\\{([^}]+)}").matcher(body);
        Set<String> alarmsShown = new TreeSet<>();
        while (ref.find()) {
            String name = ref.group(1);
            String resource = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
            assertThat(name.startsWith("AWS::") || resources.contains(resource)).as(name + " is a resource of the template").isTrue();
            if (name.endsWith("Alarm.Arn")) {
                alarmsShown.add(resource);
            }
        }
        assertThat(alarmsShown).isEqualTo(TEMPLATE.resources("AWS::CloudWatch::Alarm").keySet());
        com.fasterxml.jackson.databind.JsonNode parsed = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(body.replaceAll("\\$\\{[^}]+}", "x"));
        assertThat(parsed.get("widgets")).isNotEmpty();
    }

    @Test
    void everyAlarmOnAnAwsMetricNamesAResourceOfTheKindItsDimensionMeans() {
        Map<String, String> kinds = Map.of("FunctionName", "AWS::Serverless::Function", "QueueName", "AWS::SQS::Queue",
                "ApiId", "AWS::Serverless::HttpApi");
        TEMPLATE.resources("AWS::CloudWatch::Alarm").forEach((id, a) -> {
            Map<String, Object> p = properties(a);
            assertThat(p.get("TreatMissingData")).as(id).isNotNull();
            assertThat(p).as(id + " notifies the topic when it fires and when it clears").containsKeys("AlarmActions", "OKActions");
            Object dimensions = p.get("Dimensions");
            if (dimensions == null || !String.valueOf(p.get("Namespace")).startsWith("AWS/")) {
                return;
            }
            for (Object d : (List<?>) dimensions) {
                String name = String.valueOf(map(d).get("Name"));
                Map<String, Object> value = map(map(d).get("Value"));
                String resource = value.get("Ref") != null ? String.valueOf(value.get("Ref"))
                        : String.valueOf(((List<?>) value.get("Fn::GetAtt")).get(0));
                assertThat(kinds).as(id + ": a dimension this test knows").containsKey(name);
                assertThat(TEMPLATE.resources(kinds.get(name))).as(id + "'s " + name).containsKey(resource);
            }
        });
    }

    @Test
    void everyAlarmAndChartOnTheEnginesMetricsNamesAMetricItPublishesWithThatExactDimensionSet() throws IOException {
        // CloudWatch matches a metric by its name and its whole dimension set: an alarm on a set the code never
        // publishes stays quiet for ever.
        Map<String, io.metronome.observe.Metrics.Definition> published = new java.util.HashMap<>();
        io.metronome.observe.Metrics.ALL.forEach(d -> published.put(d.name(), d));
        Set<String> outcomes = new TreeSet<>();
        for (io.metronome.observe.Metrics.Outcome o : io.metronome.observe.Metrics.Outcome.values()) {
            outcomes.add(o.wire());
        }
        List<String> checked = new ArrayList<>();
        TEMPLATE.resources("AWS::CloudWatch::Alarm").forEach((id, a) -> {
            Map<String, Object> p = properties(a);
            if (!io.metronome.observe.Metrics.NAMESPACE.equals(p.get("Namespace"))) {
                return;
            }
            Map<String, String> dimensions = new java.util.LinkedHashMap<>();
            ((List<?>) p.get("Dimensions")).forEach(d -> dimensions.put(String.valueOf(map(d).get("Name")),
                    String.valueOf(map(d).get("Value"))));
            checkPublished(id, String.valueOf(p.get("MetricName")), dimensions, published, outcomes);
            checked.add(id);
        });
        assertThat(checked).contains("NodeFailuresAlarm", "WorkerMessageFailuresAlarm");

        String body = String.valueOf(map(properties(TEMPLATE.resources("AWS::CloudWatch::Dashboard").get("Dashboard"))
                .get("DashboardBody")).get("Fn::Sub"));
        var widgets = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body.replaceAll("\\$\\{[^}]+}", "x"))
                .get("widgets");
        for (var widget : widgets) {
            for (var metric : widget.path("properties").path("metrics")) {
                if (!metric.get(0).asText().equals(io.metronome.observe.Metrics.NAMESPACE)) {
                    continue;
                }
                Map<String, String> dimensions = new java.util.LinkedHashMap<>();
                for (int i = 2; i + 1 < metric.size() && metric.get(i).isTextual(); i += 2) {
                    dimensions.put(metric.get(i).asText(), metric.get(i + 1).asText());
                }
                checkPublished(widget.path("properties").path("title").asText(), metric.get(1).asText(), dimensions,
                        published, outcomes);
                checked.add(metric.get(1).asText());
            }
        }
        assertThat(checked).as("the dashboard charts every metric the engine publishes")
                .containsAll(published.keySet());
    }

    private static void checkPublished(String where, String metric, Map<String, String> dimensions,
                                       Map<String, io.metronome.observe.Metrics.Definition> published, Set<String> outcomes) {
        assertThat(published).as(where + ": " + metric + " is published").containsKey(metric);
        assertThat(published.get(metric).dimensions()).as(where + ": " + metric + " is published with the dimensions "
                + dimensions.keySet()).anyMatch(set -> new TreeSet<>(set).equals(new TreeSet<>(dimensions.keySet())));
        assertThat(dimensions.get(io.metronome.observe.Metrics.SERVICE_DIMENSION)).as(where)
                .isEqualTo(io.metronome.observe.Metrics.SERVICE);
        if (dimensions.containsKey(io.metronome.observe.Metrics.OUTCOME_DIMENSION)) {
            assertThat(outcomes).as(where).contains(dimensions.get(io.metronome.observe.Metrics.OUTCOME_DIMENSION));
        }
    }
}
