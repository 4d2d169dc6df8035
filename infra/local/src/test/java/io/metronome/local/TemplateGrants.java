package io.metronome.local;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tables, queues and other actions a function's {@code Policies} in template.yaml grant, by logical id. A
 * policy under {@code !If} counts as granted (its condition may hold); {@code AWS::NoValue} grants nothing.
 */
record TemplateGrants(Set<String> reads, Set<String> writes, Set<String> sends, Set<String> actions) {

    static TemplateGrants of(SamTemplate template, String function) {
        TemplateGrants g = new TemplateGrants(new TreeSet<>(), new TreeSet<>(), new TreeSet<>(), new TreeSet<>());
        Object policies = SamTemplate.properties(template.resources("AWS::Serverless::Function").get(function)).get("Policies");
        if (policies instanceof List<?> list) {
            list.forEach(p -> g.add(function, p));
        }
        return g;
    }

    private void add(String function, Object policy) {
        Map<String, Object> p = SamTemplate.map(policy);
        if (p.get("Fn::If") instanceof List<?> choice) {
            add(function, choice.get(1));
            add(function, choice.get(2));
            return;
        }
        if ("AWS::NoValue".equals(p.get("Ref"))) {
            return;
        }
        p.forEach((kind, args) -> {
            Map<String, Object> a = SamTemplate.map(args);
            switch (kind) {
                case "DynamoDBReadPolicy" -> reads.add(ref(a.get("TableName")));
                case "DynamoDBCrudPolicy" -> writes.add(ref(a.get("TableName")));
                case "SQSSendMessagePolicy" -> sends.add(ref(a.get("QueueName")));
                case "SSMParameterReadPolicy" -> actions.add("ssm:GetParameter");
                case "Statement" -> ((List<?>) args).forEach(s -> {
                    Object action = SamTemplate.map(s).get("Action");
                    (action instanceof List<?> l ? l : List.of(action)).forEach(x -> actions.add(String.valueOf(x)));
                });
                default -> throw new AssertionError(function + " has a policy this test does not know: " + kind);
            }
        });
    }

    private static String ref(Object o) {
        Map<String, Object> m = SamTemplate.map(o);
        if (m.get("Ref") != null) {
            return String.valueOf(m.get("Ref"));
        }
        return String.valueOf(((List<?>) m.get("Fn::GetAtt")).get(0));
    }
}
