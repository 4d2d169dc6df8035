package io.metronome.cli;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.CloudFormationClientBuilder;
import software.amazon.awssdk.services.cloudformation.model.CloudFormationException;
import software.amazon.awssdk.services.cloudformation.model.Output;
import software.amazon.awssdk.services.cloudformation.model.Stack;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stack deployed from {@code template.yaml}: its tables and queues come from the stack's outputs
 * (CloudFormation DescribeStacks), with the SDK's default credentials and region unless a region is given.
 */
final class StackTarget {
    /** The outputs read, all declared in template.yaml. */
    static final List<String> OUTPUTS = List.of("ApiKeysTableName", "RunsTableName", "NodeQueueUrl", "NodeDeadLetterQueueUrl");

    private StackTarget() {
    }

    static Target open(String stackName, String regionName) {
        CloudFormationClientBuilder builder = CloudFormationClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder());
        if (regionName != null) {
            builder.region(Region.of(regionName));
        }
        Map<String, String> outputs;
        Region region;
        try (CloudFormationClient cloudFormation = builder.build()) {
            region = cloudFormation.serviceClientConfiguration().region();
            Stack stack = cloudFormation.describeStacks(r -> r.stackName(stackName)).stacks().get(0);
            outputs = new LinkedHashMap<>();
            for (Output o : stack.outputs()) {
                outputs.put(o.outputKey(), o.outputValue());
            }
        } catch (CloudFormationException e) {
            throw new CommandFailed("cannot read stack " + stackName + ": " + e.awsErrorDetails().errorMessage(), e);
        } catch (SdkClientException e) {
            throw new CommandFailed("cannot reach CloudFormation for stack " + stackName + ": " + e.getMessage()
                    + (regionName == null ? " (name the region with --region R, or set AWS_REGION)" : ""), e);
        }
        String name = "stack " + stackName + " in " + region;
        Map<String, String> found = required(name, outputs);
        DynamoDbClient dynamo = DynamoDbClient.builder().region(region).httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        SqsClient sqs = SqsClient.builder().region(region).httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        return new Target(name, dynamo, sqs, found.get("ApiKeysTableName"), found.get("RunsTableName"),
                found.get("NodeQueueUrl"), found.get("NodeDeadLetterQueueUrl"));
    }

    /** The outputs the commands need, or why the stack cannot be used. */
    static Map<String, String> required(String stack, Map<String, String> outputs) {
        List<String> missing = OUTPUTS.stream().filter(o -> outputs.get(o) == null || outputs.get(o).isBlank()).toList();
        if (!missing.isEmpty()) {
            throw new CommandFailed(stack + " has no output " + String.join(", ", missing)
                    + ": deploy the current template.yaml to it (sam deploy)");
        }
        Map<String, String> found = new LinkedHashMap<>();
        OUTPUTS.forEach(o -> found.put(o, outputs.get(o)));
        return found;
    }
}
