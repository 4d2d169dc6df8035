package io.metronome.testing;

import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionListItem;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Where stepFunction nodes run in tests: the loopback endpoint speaking Step Functions' protocol
 * ({@link LocalStepFunctions}) by default, or LocalStack's real Step Functions in the {@code localstack}
 * profile, with three state machines that behave alike: {@code ok} echoes its input, {@code fail} fails,
 * {@code slow} waits until stopped.
 */
public interface StepFunctionsBackend extends AutoCloseable {
    String endpoint();

    String machine(String kind);

    /** The names of the executions of one kind's machine. */
    List<String> executionNames(String kind);

    String status(String executionArn);

    @Override
    void close();

    static StepFunctionsBackend forTests() {
        TestStack stack = TestStack.get();
        if (stack.localStackEndpoint() == null) {
            LocalStepFunctions fake = new LocalStepFunctions();
            return new StepFunctionsBackend() {
                public String endpoint() {
                    return fake.endpoint();
                }

                public String machine(String kind) {
                    return "arn:aws:states:us-east-1:000000000000:stateMachine:metronome-" + kind;
                }

                public List<String> executionNames(String kind) {
                    return fake.executionNames(machine(kind));
                }

                public String status(String arn) {
                    return fake.status(arn);
                }

                public void close() {
                    fake.close();
                }
            };
        }
        SfnClient sfn = stack.sfn(stack.localStackEndpoint().toString());
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> definitions = Map.of(
                "ok", "{\"StartAt\":\"Echo\",\"States\":{\"Echo\":{\"Type\":\"Pass\",\"Parameters\":{\"done\":true,\"echo.$\":\"$\"},\"End\":true}}}",
                "fail", "{\"StartAt\":\"No\",\"States\":{\"No\":{\"Type\":\"Fail\",\"Error\":\"States.TaskFailed\",\"Cause\":\"the payment service said no\"}}}",
                "slow", "{\"StartAt\":\"Wait\",\"States\":{\"Wait\":{\"Type\":\"Wait\",\"Seconds\":600,\"End\":true}}}");
        Map<String, String> arns = new java.util.HashMap<>();
        definitions.forEach((kind, definition) -> arns.put(kind, sfn.createStateMachine(r -> r
                .name("metronome-" + kind + "-" + suffix).definition(definition)
                .roleArn("arn:aws:iam::000000000000:role/metronome-tests")).stateMachineArn()));
        return new StepFunctionsBackend() {
            public String endpoint() {
                return stack.localStackEndpoint().toString();
            }

            public String machine(String kind) {
                return arns.get(kind);
            }

            public List<String> executionNames(String kind) {
                return sfn.listExecutions(r -> r.stateMachineArn(arns.get(kind))).executions().stream()
                        .map(ExecutionListItem::name).toList();
            }

            public String status(String arn) {
                return sfn.describeExecution(r -> r.executionArn(arn)).statusAsString();
            }

            public void close() {
                arns.values().forEach(arn -> sfn.deleteStateMachine(r -> r.stateMachineArn(arn)));
            }
        };
    }
}
