package io.metronome.local;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tables, queues and other actions a function's {@code Policies} in template.yaml grant, by logical id. A
 * policy under {@code !If} counts as granted (its condition may hold); {@code AWS::NoValue} grants nothing.
 */
record TemplateGrants(Set<String> reads, Set<String> writes, Set<String> sends, Set<String> actions,
                      Map<String, Set<String>> tableActions) {

    /** The actions SAM's policy templates grant on their table (and its indexes), as SAM defines them. */
    private static final List<String> READ_POLICY = List.of("GetItem", "Scan", "Query", "BatchGetItem", "DescribeTable");
    private static final List<String> CRUD_POLICY = List.of("GetItem", "DeleteItem", "PutItem", "Scan", "Query",
            "UpdateItem", "BatchWriteItem", "BatchGetItem", "DescribeTable", "ConditionCheckItem");

    /** DynamoDB actions that change a table: a statement granting any of them on a table is a write grant. */
    private static final Set<String> WRITE_ACTIONS = Set.of("dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:DeleteItem", "dynamodb:BatchWriteItem");

    static TemplateGrants of(SamTemplate template, String function) {
        TemplateGrants g = new TemplateGrants(new TreeSet<>(), new TreeSet<>(), new TreeSet<>(), new TreeSet<>(),
                new java.util.TreeMap<>());
        Object policies = SamTemplate.properties(template.resources("AWS::Serverless::Function").get(function)).get("Policies");
        if (policies instanceof List<?> list) {
            list.forEach(p -> g.add(template, function, p));
        }
        return g;
    }

    /** On one of the stack's tables (or an index of one): that table's read or write; otherwise its actions. */
    private void statement(SamTemplate template, Map<String, Object> statement) {
        Object action = statement.get("Action");
        List<String> granted = (action instanceof List<?> l ? l : List.of(action)).stream().map(String::valueOf).toList();
        String table = table(template, statement.get("Resource"));
        if (table == null) {
            actions.addAll(granted);
            return;
        }
        granted.forEach(a -> tableActions.computeIfAbsent(table, t -> new TreeSet<>()).add(a.replace("dynamodb:", "")));
        if (granted.stream().anyMatch(WRITE_ACTIONS::contains)) {
            writes.add(table);
        } else {
            reads.add(table);
        }
    }

    /** The table a statement's resource names ({@code !GetAtt T.Arn}, or an index of it in a {@code !Sub}), else null. */
    private static String table(SamTemplate template, Object resource) {
        Map<String, Object> m = SamTemplate.map(resource);
        Set<String> tables = template.resources("AWS::DynamoDB::Table").keySet();
        if (m.get("Fn::GetAtt") instanceof List<?> getAtt && tables.contains(String.valueOf(getAtt.get(0)))) {
            return String.valueOf(getAtt.get(0));
        }
        if (m.get("Fn::Sub") instanceof String sub) {
            java.util.regex.Matcher t = java.util.regex.Pattern.compile("^\\$\\{(\\w+)\\.Arn}").matcher(sub);
            if (t.find() && tables.contains(t.group(1))) {
                return t.group(1);
            }
        }
        return null;
    }

    private void add(SamTemplate template, String function, Object policy) {
        Map<String, Object> p = SamTemplate.map(policy);
        if (p.get("Fn::If") instanceof List<?> choice) {
            add(template, function, choice.get(1));
            add(template, function, choice.get(2));
            return;
        }
        if ("AWS::NoValue".equals(p.get("Ref"))) {
            return;
        }
        p.forEach((kind, args) -> {
            Map<String, Object> a = SamTemplate.map(args);
            switch (kind) {
                case "DynamoDBReadPolicy" -> {
                    reads.add(ref(a.get("TableName")));
                    tableActions.computeIfAbsent(ref(a.get("TableName")), t -> new TreeSet<>()).addAll(READ_POLICY);
                }
                case "DynamoDBCrudPolicy" -> {
                    writes.add(ref(a.get("TableName")));
                    tableActions.computeIfAbsent(ref(a.get("TableName")), t -> new TreeSet<>()).addAll(CRUD_POLICY);
                }
                case "SQSSendMessagePolicy" -> sends.add(ref(a.get("QueueName")));
                case "SSMParameterReadPolicy" -> actions.add("ssm:GetParameter");
                case "Statement" -> ((List<?>) args).forEach(s -> statement(template, SamTemplate.map(s)));
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
