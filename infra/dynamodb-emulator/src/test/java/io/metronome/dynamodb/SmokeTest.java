package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.*;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SmokeTest extends Conformance {
    @Test
    void putGetUpdateQuery() {
        String t = table(true);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("1"), "n", n("1.50"))));
        assertThat(dynamo.getItem(r -> r.tableName(t).key(item("pk", s("a"), "sk", s("1")))).item().get("n").n()).isEqualTo("1.5");
        UpdateItemResponse u = dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"), "sk", s("1")))
                .updateExpression("SET #n = #n + :one, l = list_append(if_not_exists(l, :empty), :one_l)")
                .expressionAttributeNames(java.util.Map.of("#n", "n"))
                .expressionAttributeValues(item(":one", n("1"), ":empty", AttributeValue.fromL(java.util.List.of()), ":one_l", AttributeValue.fromL(java.util.List.of(s("x")))))
                .returnValues(ReturnValue.ALL_NEW).returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(u.attributes().get("n").n()).isEqualTo("2.5");
        assertThat(u.consumedCapacity().capacityUnits()).isEqualTo(1.0);
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("1")))
                .conditionExpression("attribute_not_exists(pk)")
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> assertThat(e.item().get("n").n()).isEqualTo("2.5"));
        for (int i = 2; i < 10; i++) {
            int x = i;
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s(Integer.toString(x)))));
        }
        QueryResponse q = dynamo.query(r -> r.tableName(t).keyConditionExpression("pk = :p AND sk BETWEEN :a AND :b")
                .expressionAttributeValues(item(":p", s("a"), ":a", s("3"), ":b", s("6"))).scanIndexForward(false).limit(3));
        assertThat(q.items()).extracting(i -> i.get("sk").s()).containsExactly("6", "5", "4");
        assertThat(q.lastEvaluatedKey()).containsKeys("pk", "sk");
        TransactionCanceledException e = (TransactionCanceledException) org.assertj.core.api.Assertions.catchThrowable(() ->
                dynamo.transactWriteItems(r -> r.transactItems(
                        TransactWriteItem.builder().put(p -> p.tableName(t).item(item("pk", s("b"), "sk", s("1")))).build(),
                        TransactWriteItem.builder().conditionCheck(c -> c.tableName(t).key(item("pk", s("a"), "sk", s("1"))).conditionExpression("attribute_not_exists(pk)")).build())));
        assertThat(e.cancellationReasons()).extracting(CancellationReason::code).containsExactly("None", "ConditionalCheckFailed");
        assertThatThrownBy(() -> dynamo.getItem(r -> r.tableName("nope").key(item("pk", s("a")))))
                .isInstanceOf(ResourceNotFoundException.class);
    }
}
