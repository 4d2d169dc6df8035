package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItem;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TransactGetItems, written from the API reference (API_TransactGetItems: "Responses ... ordered according to the
 * ordering of the TransactItems request parameter"; "If a requested item could not be retrieved, the corresponding
 * ItemResponse object is Null, or if the requested item has no projected attributes, the corresponding ItemResponse
 * object is an empty Map") and the Developer Guide transaction-apis.md and Service quotas (100 items per call).
 */
class TransactGetItemsTest extends Conformance {

    private static TransactGetItem getOf(String table, Map<String, AttributeValue> key) {
        return TransactGetItem.builder().get(g -> g.tableName(table).key(key)).build();
    }

    private static void assertValidation(ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(message);
        });
    }

    @Test
    void responsesAreInRequestOrderWithEmptyEntriesForMissingItems() {
        String t1 = table(false);
        String t2 = table(true);
        dynamo.putItem(r -> r.tableName(t1).item(item("pk", s("a"), "v", n("1"))));
        dynamo.putItem(r -> r.tableName(t1).item(item("pk", s("b"), "v", n("2"))));
        dynamo.putItem(r -> r.tableName(t2).item(item("pk", s("c"), "sk", s("x"), "v", n("3"))));

        TransactGetItemsResponse r = dynamo.transactGetItems(q -> q.transactItems(
                getOf(t1, item("pk", s("b"))),
                getOf(t1, item("pk", s("missing"))),
                getOf(t2, item("pk", s("c"), "sk", s("x"))),
                getOf(t2, item("pk", s("c"), "sk", s("nope"))),
                getOf(t1, item("pk", s("a")))));

        assertThat(r.responses()).hasSize(5);
        assertThat(r.responses().get(0).item()).isEqualTo(item("pk", s("b"), "v", n("2")));
        assertThat(r.responses().get(1).item()).isEmpty();
        assertThat(r.responses().get(2).item()).isEqualTo(item("pk", s("c"), "sk", s("x"), "v", n("3")));
        assertThat(r.responses().get(3).item()).isEmpty();
        assertThat(r.responses().get(4).item()).isEqualTo(item("pk", s("a"), "v", n("1")));
        assertThat(r.consumedCapacity()).isEmpty();
    }

    @Test
    void projectionExpressionSelectsAttributes() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "name", s("n"), "other", s("o"),
                "m", AttributeValue.fromM(item("x", n("1"), "y", n("2"))))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"), "name", s("n2"))));

        TransactGetItemsResponse r = dynamo.transactGetItems(q -> q.transactItems(
                TransactGetItem.builder().get(g -> g.tableName(t).key(item("pk", s("a")))
                        .projectionExpression("#n, m.x").expressionAttributeNames(Map.of("#n", "name"))).build(),
                TransactGetItem.builder().get(g -> g.tableName(t).key(item("pk", s("b")))
                        .projectionExpression("absent")).build()));

        assertThat(r.responses().get(0).item())
                .isEqualTo(item("name", s("n"), "m", AttributeValue.fromM(item("x", n("1")))));
        // The item exists but has none of the projected attributes: an empty map.
        assertThat(r.responses().get(1).item()).isEmpty();
    }

    @Test
    void oneHundredItemsAreAcceptedAndOneHundredAndOneRefused() {
        String t = table(false);
        List<TransactGetItem> gets = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            String k = "k" + i;
            if (i % 2 == 0) {
                dynamo.putItem(r -> r.tableName(t).item(item("pk", s(k))));
            }
            gets.add(getOf(t, item("pk", s(k))));
        }
        assertValidation(() -> dynamo.transactGetItems(q -> q.transactItems(gets)),
                "Member must have length less than or equal to 100");

        TransactGetItemsResponse r = dynamo.transactGetItems(q -> q.transactItems(gets.subList(0, 100)));
        assertThat(r.responses()).hasSize(100);
        assertThat(r.responses().get(98).item()).isEqualTo(item("pk", s("k98")));
        assertThat(r.responses().get(99).item()).isEmpty();
        assertThat(r.responses()).extracting(ItemResponse::item).filteredOn(m -> !m.isEmpty()).hasSize(50);
    }

    @Test
    void anEmptyRequestIsRefused() {
        assertValidation(() -> dynamo.transactGetItems(q -> q.transactItems(List.of())),
                "Member must have length greater than or equal to 1");
    }

    @Test
    void theSameItemTwiceIsRefused() {
        String t = table(true);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("1"))));
        assertValidation(() -> dynamo.transactGetItems(q -> q.transactItems(
                        getOf(t, item("pk", s("a"), "sk", s("1"))),
                        getOf(t, item("pk", s("a"), "sk", s("1"))))),
                "Transaction request cannot include multiple operations on one item");
        // Same partition key, another sort key: a different item.
        TransactGetItemsResponse r = dynamo.transactGetItems(q -> q.transactItems(
                getOf(t, item("pk", s("a"), "sk", s("1"))), getOf(t, item("pk", s("a"), "sk", s("2")))));
        assertThat(r.responses()).hasSize(2);
    }

    @Test
    void aMissingTableIsResourceNotFound() {
        String t = table(false);
        assertThatThrownBy(() -> dynamo.transactGetItems(q -> q.transactItems(
                getOf(t, item("pk", s("a"))), getOf("no-such-table-tg", item("pk", s("a"))))))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Requested resource not found");
    }
}
