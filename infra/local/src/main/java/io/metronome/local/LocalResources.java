package io.metronome.local;

import io.metronome.domain.Json;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.metronome.local.SamTemplate.map;
import static io.metronome.local.SamTemplate.properties;

/**
 * Creates the template's DynamoDB tables and SQS queues in the emulators, named by their logical ids, and
 * resolves the functions' environment ({@code !Ref Table} to the table's name, {@code !Ref Queue} to its URL).
 */
final class LocalResources {
    private LocalResources() {
    }

    /** @return table logical id to name */
    static Map<String, String> createTables(SamTemplate template, DynamoDbClient dynamo) {
        Map<String, String> names = new LinkedHashMap<>();
        template.resources("AWS::DynamoDB::Table").forEach((id, resource) -> {
            Map<String, Object> p = properties(resource);
            CreateTableRequest.Builder request = CreateTableRequest.builder().tableName(id)
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(list(p.get("AttributeDefinitions")).stream().map(a -> AttributeDefinition.builder()
                            .attributeName(str(a, "AttributeName")).attributeType(str(a, "AttributeType")).build()).toList())
                    .keySchema(keySchema(p.get("KeySchema")));
            List<GlobalSecondaryIndex> indexes = list(p.get("GlobalSecondaryIndexes")).stream().map(g -> {
                Map<String, Object> projection = map(g.get("Projection"));
                Projection.Builder pb = Projection.builder().projectionType(String.valueOf(projection.get("ProjectionType")));
                if (projection.get("NonKeyAttributes") instanceof List<?> attrs) {
                    pb.nonKeyAttributes(attrs.stream().map(String::valueOf).toList());
                }
                return GlobalSecondaryIndex.builder().indexName(str(g, "IndexName")).keySchema(keySchema(g.get("KeySchema")))
                        .projection(pb.build()).build();
            }).toList();
            if (!indexes.isEmpty()) {
                request.globalSecondaryIndexes(indexes);
            }
            Object viewType = map(p.get("StreamSpecification")).get("StreamViewType");
            software.amazon.awssdk.services.dynamodb.model.StreamSpecification stream = viewType == null ? null
                    : software.amazon.awssdk.services.dynamodb.model.StreamSpecification.builder().streamEnabled(true)
                    .streamViewType(String.valueOf(viewType)).build();
            if (stream != null) {
                request.streamSpecification(stream);
            }
            try {
                dynamo.createTable(request.build());
            } catch (ResourceInUseException kept) {
                // a data directory from an earlier start already has it; one from before its stream gets it now
                var existing = dynamo.describeTable(r -> r.tableName(id)).table().streamSpecification();
                if (stream != null && (existing == null || !Boolean.TRUE.equals(existing.streamEnabled()))) {
                    dynamo.updateTable(r -> r.tableName(id).streamSpecification(stream));
                }
            }
            names.put(id, id);
        });
        return names;
    }

    /** @return queue logical id to URL; dead-letter queues are created before the queues that redrive to them */
    static Map<String, String> createQueues(SamTemplate template, SqsClient sqs) {
        Map<String, Map<String, Object>> queues = template.resources("AWS::SQS::Queue");
        Map<String, String> urls = new LinkedHashMap<>();
        List<String> order = new ArrayList<>(queues.keySet());
        order.sort((a, b) -> Boolean.compare(properties(queues.get(a)).containsKey("RedrivePolicy"),
                properties(queues.get(b)).containsKey("RedrivePolicy")));
        for (String id : order) {
            Map<String, Object> p = properties(queues.get(id));
            Map<QueueAttributeName, String> attributes = new HashMap<>();
            if (p.get("VisibilityTimeout") != null) {
                attributes.put(QueueAttributeName.VISIBILITY_TIMEOUT, String.valueOf(p.get("VisibilityTimeout")));
            }
            if (p.get("MessageRetentionPeriod") != null) {
                attributes.put(QueueAttributeName.MESSAGE_RETENTION_PERIOD, String.valueOf(p.get("MessageRetentionPeriod")));
            }
            Map<String, Object> redrive = map(p.get("RedrivePolicy"));
            if (!redrive.isEmpty()) {
                String target = String.valueOf(((List<?>) map(redrive.get("deadLetterTargetArn")).get("Fn::GetAtt")).get(0));
                String arn = sqs.getQueueAttributes(r -> r.queueUrl(urls.get(target))
                        .attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
                attributes.put(QueueAttributeName.REDRIVE_POLICY, Json.object().put("deadLetterTargetArn", arn)
                        .put("maxReceiveCount", String.valueOf(redrive.get("maxReceiveCount"))).toString());
            }
            urls.put(id, sqs.createQueue(r -> r.queueName(id).attributes(attributes)).queueUrl());
        }
        return urls;
    }

    /**
     * The functions' environment, with references to tables and queues resolved to local names and URLs. Other
     * values (parameters, endpoints) may be overridden from this process's environment, e.g. LLM_API_URL.
     */
    static Map<String, String> environment(SamTemplate template, Map<String, String> tables, Map<String, String> queues) {
        return environment(template, tables, queues, System::getenv);
    }

    static Map<String, String> environment(SamTemplate template, Map<String, String> tables, Map<String, String> queues,
                                           java.util.function.Function<String, String> overrides) {
        Map<String, String> env = new LinkedHashMap<>();
        template.globalEnvironment().forEach((name, value) -> {
            String override = overrides.apply(name);
            boolean resource = value instanceof Map<?, ?> r && r.get("Ref") != null
                    && (tables.containsKey(String.valueOf(r.get("Ref"))) || queues.containsKey(String.valueOf(r.get("Ref"))));
            if (!resource && override != null && !override.isBlank()) {
                env.put(name, override);
            } else {
                String resolved = resolve(template, value, tables, queues);
                if (resolved != null) {
                    env.put(name, resolved);
                }
            }
        });
        // Local runs only: the llm nodes' key in plain text, where the deployed worker reads it from Parameter Store.
        String llmKey = overrides.apply("LLM_API_KEY");
        if (llmKey != null && !llmKey.isBlank()) {
            env.put("LLM_API_KEY", llmKey);
        }
        return env;
    }

    /** A value of the template: a table's local name, a queue's URL, a parameter's default, {@code !Sub}, {@code !If}. */
    private static String resolve(SamTemplate template, Object value, Map<String, String> tables, Map<String, String> queues) {
        if (value instanceof Map<?, ?> ref && ref.get("Ref") != null) {
            String id = String.valueOf(ref.get("Ref"));
            if (id.equals("AWS::NoValue")) {
                return null;
            }
            Map<String, Object> parameter = map(map(template.raw().get("Parameters")).get(id));
            return tables.containsKey(id) ? tables.get(id) : queues.containsKey(id) ? queues.get(id)
                    : String.valueOf(parameter.getOrDefault("Default", ""));
        } else if (value instanceof Map<?, ?> sub && sub.get("Fn::Sub") instanceof String text) {
            return substitute(template, text);
        } else if (value instanceof Map<?, ?> choice && choice.get("Fn::If") instanceof List<?> args) {
            boolean holds = condition(template, String.valueOf(args.get(0)), tables, queues);
            return resolve(template, args.get(holds ? 1 : 2), tables, queues);
        }
        return String.valueOf(value);
    }

    /** A template condition, with parameters at their defaults: Fn::Not, Fn::Equals, Fn::And, Fn::Or, Condition. */
    private static boolean condition(SamTemplate template, String name, Map<String, String> tables, Map<String, String> queues) {
        return holds(template, map(template.raw().get("Conditions")).get(name), tables, queues);
    }

    private static boolean holds(SamTemplate template, Object expression, Map<String, String> tables, Map<String, String> queues) {
        Map<String, Object> e = map(expression);
        if (e.get("Condition") != null) {
            return condition(template, String.valueOf(e.get("Condition")), tables, queues);
        }
        if (e.get("Fn::Not") instanceof List<?> not) {
            return !holds(template, not.get(0), tables, queues);
        }
        if (e.get("Fn::Equals") instanceof List<?> eq) {
            return java.util.Objects.equals(resolve(template, eq.get(0), tables, queues), resolve(template, eq.get(1), tables, queues));
        }
        if (e.get("Fn::And") instanceof List<?> and) {
            return and.stream().allMatch(x -> holds(template, x, tables, queues));
        }
        if (e.get("Fn::Or") instanceof List<?> or) {
            return or.stream().anyMatch(x -> holds(template, x, tables, queues));
        }
        throw new IllegalArgumentException("a condition the local stack cannot evaluate: " + expression);
    }

    /** {@code !Sub} with the pseudo parameters of a local account and region, and parameters' defaults. */
    private static String substitute(SamTemplate template, String text) {
        Map<String, Object> parameters = map(template.raw().get("Parameters"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$\\{([^}]+)}").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = switch (m.group(1)) {
                case "AWS::Region" -> "us-east-1";
                case "AWS::URLSuffix" -> "amazonaws.com";
                case "AWS::AccountId" -> "000000000000";
                case "AWS::Partition" -> "aws";
                default -> String.valueOf(map(parameters.get(m.group(1))).getOrDefault("Default", ""));
            };
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static List<KeySchemaElement> keySchema(Object o) {
        return list(o).stream().map(k -> KeySchemaElement.builder().attributeName(str(k, "AttributeName"))
                .keyType(str(k, "KeyType")).build()).toList();
    }

    private static List<Map<String, Object>> list(Object o) {
        if (!(o instanceof List<?> l)) {
            return List.of();
        }
        return l.stream().map(SamTemplate::map).toList();
    }

    private static String str(Map<String, Object> m, String key) {
        return String.valueOf(m.get(key));
    }
}
