package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * DeleteItem, written from the DynamoDB API Reference "DeleteItem" (Key, ConditionExpression, ReturnValues NONE |
 * ALL_OLD, ReturnValuesOnConditionCheckFailure, errors: "Unless you specify conditions, the DeleteItem is an
 * idempotent operation; running it multiple times on the same item or attribute does not result in an error
 * response"), the Developer Guide "Working with items" (conditional writes) and "Capacity unit consumption for
 * writes" (a delete is charged on the size of the deleted item).
 */
class DeleteItemTest extends Conformance {

    private static void assertValidation(ThrowingCallable call, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(messagePart);
        });
    }

    private static Map<String, AttributeValue> get(String t, Map<String, AttributeValue> key) {
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(key).consistentRead(true));
        return r.hasItem() ? r.item() : null;
    }

    private static final Map<String, AttributeValue> OLD = item("pk", s("a"), "sk", s("b"), "v", n("1"),
            "l", AttributeValue.fromL(List.of(s("x"))));
    private static final Map<String, AttributeValue> KEY = item("pk", s("a"), "sk", s("b"));

    private static String tableWithItem() {
        String t = table(true);
        dynamo.putItem(r -> r.tableName(t).item(OLD));
        return t;
    }

    @Test
    void deleteRemovesTheItemOnly() {
        String t = tableWithItem();
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("c"))));
        DeleteItemResponse r = dynamo.deleteItem(d -> d.tableName(t).key(KEY));
        assertThat(r.hasAttributes()).isFalse();
        assertThat(get(t, KEY)).isNull();
        assertThat(get(t, item("pk", s("a"), "sk", s("c")))).isEqualTo(item("pk", s("a"), "sk", s("c")));
    }

    @Test
    void returnValuesAllOldReturnsTheDeletedItem() {
        String t = tableWithItem();
        DeleteItemResponse r = dynamo.deleteItem(d -> d.tableName(t).key(KEY).returnValues(ReturnValue.ALL_OLD));
        assertThat(r.attributes()).isEqualTo(OLD);
        assertThat(get(t, KEY)).isNull();
    }

    @Test
    void returnValuesNoneReturnsNothing() {
        String t = tableWithItem();
        DeleteItemResponse r = dynamo.deleteItem(d -> d.tableName(t).key(KEY).returnValues(ReturnValue.NONE));
        assertThat(r.hasAttributes()).isFalse();
        assertThat(get(t, KEY)).isNull();
    }

    @Test
    void otherReturnValuesAreRefused() {
        String t = tableWithItem();
        for (ReturnValue v : List.of(ReturnValue.ALL_NEW, ReturnValue.UPDATED_OLD, ReturnValue.UPDATED_NEW)) {
            assertValidation(() -> dynamo.deleteItem(d -> d.tableName(t).key(KEY).returnValues(v)),
                    "ReturnValues can only be ALL_OLD or NONE");
        }
        assertThat(get(t, KEY)).isEqualTo(OLD);
    }

    @Test
    void deletingAMissingItemSucceedsWithNoAttributes() {
        String t = table(true);
        DeleteItemResponse r = dynamo.deleteItem(d -> d.tableName(t).key(KEY).returnValues(ReturnValue.ALL_OLD));
        assertThat(r.hasAttributes()).isFalse();
        DeleteItemResponse again = dynamo.deleteItem(d -> d.tableName(t).key(KEY));
        assertThat(again.hasAttributes()).isFalse();
    }

    @Test
    void conditionThatHoldsDeletes() {
        String t = tableWithItem();
        dynamo.deleteItem(d -> d.tableName(t).key(KEY).conditionExpression("v = :one AND size(l) = :one")
                .expressionAttributeValues(item(":one", n("1"))));
        assertThat(get(t, KEY)).isNull();
    }

    @Test
    void conditionThatFailsKeepsTheItem() {
        String t = tableWithItem();
        assertThatThrownBy(() -> dynamo.deleteItem(d -> d.tableName(t).key(KEY).conditionExpression("v = :two")
                .expressionAttributeValues(item(":two", n("2")))))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> {
                    assertThat(e.awsErrorDetails().errorMessage()).contains("The conditional request failed");
                    assertThat(e.hasItem()).isFalse();
                });
        assertThat(get(t, KEY)).isEqualTo(OLD);
    }

    @Test
    void conditionFailureWithAllOldCarriesTheItem() {
        String t = tableWithItem();
        assertThatThrownBy(() -> dynamo.deleteItem(d -> d.tableName(t).key(KEY).conditionExpression("attribute_not_exists(v)")
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> assertThat(e.item()).isEqualTo(OLD));
        assertThat(get(t, KEY)).isEqualTo(OLD);
    }

    @Test
    void conditionOnAMissingItem() {
        String t = table(true);
        assertThatThrownBy(() -> dynamo.deleteItem(d -> d.tableName(t).key(KEY).conditionExpression("attribute_exists(pk)")
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> assertThat(e.hasItem()).isFalse());
        // attribute_not_exists holds for a missing item, so this delete succeeds (and deletes nothing).
        DeleteItemResponse r = dynamo.deleteItem(d -> d.tableName(t).key(KEY).conditionExpression("attribute_not_exists(pk)")
                .returnValues(ReturnValue.ALL_OLD));
        assertThat(r.hasAttributes()).isFalse();
    }

    @Test
    void conditionErrorsAreValidationErrors() {
        String t = tableWithItem();
        assertValidation(() -> dynamo.deleteItem(d -> d.tableName(t).key(KEY).conditionExpression("v = :missing")),
                "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing");
        assertValidation(() -> dynamo.deleteItem(d -> d.tableName(t).key(KEY).conditionExpression("v = ")),
                "Invalid ConditionExpression: Syntax error");
        assertThat(get(t, KEY)).isEqualTo(OLD);
    }

    @Test
    void deleteCostIsTheSizeOfTheDeletedItem() {
        String t = table(false);
        // "pk"(2) + "a"(1) + "d"(1) + 2100 = 2104 bytes -> 3 write units.
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", s("x".repeat(2100)))));
        DeleteItemResponse r = dynamo.deleteItem(d -> d.tableName(t).key(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(r.consumedCapacity().capacityUnits()).isEqualTo(3.0);
        DeleteItemResponse missing = dynamo.deleteItem(d -> d.tableName(t).key(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(missing.consumedCapacity().capacityUnits()).isEqualTo(1.0);
    }

    @Test
    void keyThatDoesNotMatchTheSchemaIsRefused() {
        String t = tableWithItem();
        assertValidation(() -> dynamo.deleteItem(d -> d.tableName(t).key(item("pk", s("a")))),
                "The provided key element does not match the schema");
        assertValidation(() -> dynamo.deleteItem(d -> d.tableName(t).key(item("pk", s("a"), "sk", n("1")))),
                "The provided key element does not match the schema");
        assertValidation(() -> dynamo.deleteItem(d -> d.tableName(t).key(item("pk", s("a"), "sk", s("b"), "v", n("1")))),
                "The provided key element does not match the schema");
        assertThat(get(t, KEY)).isEqualTo(OLD);
    }

    @Test
    void emptyStringKeyIsRefused() {
        String t = table(true);
        assertValidation(() -> dynamo.deleteItem(d -> d.tableName(t).key(item("pk", s("a"), "sk", s("")))),
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: sk");
    }

    @Test
    void missingTableIsResourceNotFound() {
        assertThatThrownBy(() -> dynamo.deleteItem(d -> d.tableName("no-such-table-delete").key(KEY)))
                .isInstanceOfSatisfying(ResourceNotFoundException.class,
                        e -> assertThat(e.awsErrorDetails().errorMessage()).contains("Requested resource not found"));
    }
}
