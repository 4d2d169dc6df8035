package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GetItem, written from the DynamoDB API Reference "GetItem" (Key, ConsistentRead, ProjectionExpression,
 * AttributesToGet, ExpressionAttributeNames, ReturnConsumedCapacity), the Developer Guide "Projection expressions"
 * (Expressions.ProjectionExpressions), "Specifying item attributes when using expressions" (document paths,
 * list indexes), "Read consistency" and "Capacity unit consumption for reads" (ProvisionedThroughput).
 */
class GetItemTest extends Conformance {

    private static void assertValidation(ThrowingCallable call, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(messagePart);
        });
    }

    private static Map<String, AttributeValue> sample() {
        return item("pk", s("a"),
                "top", s("t"),
                "num", n("42"),
                "lst", AttributeValue.fromL(List.of(s("l0"), s("l1"), AttributeValue.fromM(Map.of("deep", s("d"))), s("l3"))),
                "mp", AttributeValue.fromM(Map.of(
                        "inr", AttributeValue.fromM(Map.of("leaf", s("x"), "oth", n("1"))),
                        "arr", AttributeValue.fromL(List.of(n("10"), n("20"))))),
                "status", s("on"),
                "a.b", s("dotted"));
    }

    private static String tableWithSample() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(sample()));
        return t;
    }

    @Test
    void returnsTheWholeItem() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))));
        assertThat(r.item()).isEqualTo(sample());
    }

    @Test
    void returnsTheWholeItemWithASortKey() {
        String t = table(true);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("1"), "v", s("one"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("2"), "v", s("two"))));
        assertThat(dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"), "sk", s("2")))).item())
                .isEqualTo(item("pk", s("a"), "sk", s("2"), "v", s("two")));
    }

    @Test
    void missingItemHasNoItemField() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("nope"))));
        assertThat(r.hasItem()).isFalse();
    }

    @Test
    void consistentReadReturnsTheLatestWriteAndCostsFullUnits() {
        String t = tableWithSample();
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "v", s("new"))));
        GetItemResponse strong = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).consistentRead(true)
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(strong.item()).isEqualTo(item("pk", s("a"), "v", s("new")));
        assertThat(strong.consumedCapacity().capacityUnits()).isEqualTo(1.0);
        assertThat(strong.consumedCapacity().tableName()).isEqualTo(t);
        GetItemResponse eventual = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).consistentRead(false)
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(eventual.consumedCapacity().capacityUnits()).isEqualTo(0.5);
        GetItemResponse byDefault = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(byDefault.consumedCapacity().capacityUnits()).isEqualTo(0.5);
    }

    @Test
    void missingItemStillConsumesCapacity() {
        String t = table(false);
        GetItemResponse strong = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("none"))).consistentRead(true)
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(strong.consumedCapacity().capacityUnits()).isEqualTo(1.0);
        GetItemResponse eventual = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("none")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(eventual.consumedCapacity().capacityUnits()).isEqualTo(0.5);
    }

    @Test
    void readCostRoundsUpTo4KbAndProjectionDoesNotReduceIt() {
        String t = table(false);
        // pk "a" = 2 + 1 bytes, "d" + 5000 chars = 5001 bytes: 5004 bytes -> 2 strongly consistent units.
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", s("x".repeat(5000)))));
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).consistentRead(true)
                .projectionExpression("pk").returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(r.item()).isEqualTo(item("pk", s("a")));
        assertThat(r.consumedCapacity().capacityUnits()).isEqualTo(2.0);
    }

    @Test
    void projectionOfTopLevelAttributes() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("top, num"));
        assertThat(r.item()).isEqualTo(item("top", s("t"), "num", n("42")));
    }

    @Test
    void projectionOfMissingAttributesOnlyReturnsThoseThatExist() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("top, ghost, mp.ghost, lst[9]"));
        assertThat(r.item()).isEqualTo(item("top", s("t")));
    }

    @Test
    void projectionOfOnlyMissingAttributesReturnsAnEmptyItem() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("ghost"));
        assertThat(r.item()).isEmpty();
    }

    @Test
    void projectionOfNestedMapPathKeepsTheEnclosingStructure() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("mp.inr.leaf"));
        assertThat(r.item()).isEqualTo(item("mp", AttributeValue.fromM(Map.of(
                "inr", AttributeValue.fromM(Map.of("leaf", s("x")))))));
    }

    @Test
    void projectionOfListIndexes() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("lst[3], lst[1]"));
        // The selected elements come back as a list, in list order.
        assertThat(r.item()).isEqualTo(item("lst", AttributeValue.fromL(List.of(s("l1"), s("l3")))));
    }

    @Test
    void projectionThroughAListIndexIntoAMap() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("lst[2].deep, mp.arr[1]"));
        assertThat(r.item()).isEqualTo(item(
                "lst", AttributeValue.fromL(List.of(AttributeValue.fromM(Map.of("deep", s("d"))))),
                "mp", AttributeValue.fromM(Map.of("arr", AttributeValue.fromL(List.of(n("20")))))));
    }

    @Test
    void projectionOfTwoPathsInTheSameMapMergesThem() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("mp.inr.leaf, mp.arr"));
        assertThat(r.item()).isEqualTo(item("mp", AttributeValue.fromM(Map.of(
                "inr", AttributeValue.fromM(Map.of("leaf", s("x"))),
                "arr", AttributeValue.fromL(List.of(n("10"), n("20")))))));
    }

    @Test
    void projectionWithNamePlaceholders() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a")))
                .projectionExpression("#s, #dot, #m.#i.#l")
                .expressionAttributeNames(Map.of("#s", "status", "#dot", "a.b", "#m", "mp", "#i", "inr", "#l", "leaf")));
        assertThat(r.item()).isEqualTo(item("status", s("on"), "a.b", s("dotted"),
                "mp", AttributeValue.fromM(Map.of("inr", AttributeValue.fromM(Map.of("leaf", s("x")))))));
    }

    @Test
    void projectionOfADottedNameWithoutAPlaceholderIsANestedPath() {
        String t = tableWithSample();
        // "a.b" is read as attribute a, key b: there is no attribute a, so nothing comes back.
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("a.b"));
        assertThat(r.item()).isEmpty();
    }

    @Test
    void projectionWithAReservedWordIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("status")),
                "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status");
    }

    @Test
    void projectionWithAnUndefinedPlaceholderIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("#nope")),
                "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope");
    }

    @Test
    void projectionWithAnUnusedPlaceholderIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("top")
                        .expressionAttributeNames(Map.of("#unused", "x"))),
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}");
    }

    @Test
    void namesWithoutAnExpressionAreRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a")))
                        .expressionAttributeNames(Map.of("#n", "top"))),
                "ExpressionAttributeNames can only be specified when using expressions");
    }

    @Test
    void overlappingProjectionPathsAreRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("mp, mp.inr")),
                "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths");
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("top, top")),
                "Two document paths overlap with each other");
    }

    @Test
    void conflictingProjectionPathsAreRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("mp.inr, mp[0]")),
                "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths");
    }

    @Test
    void projectionSyntaxErrorIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("lst[x]")),
                "Invalid ProjectionExpression: Syntax error");
        // At the end of the input the offending token is reported as <EOF>.
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("top,")),
                "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\"");
    }

    @Test
    void emptyProjectionIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).projectionExpression("")),
                "Invalid ProjectionExpression: The expression can not be empty;");
    }

    @Test
    void attributesToGetReturnsTheNamedTopLevelAttributes() {
        String t = tableWithSample();
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).attributesToGet("top", "a.b", "status", "ghost"));
        // AttributesToGet takes names literally: "a.b" is the dotted top-level attribute and reserved words are fine.
        assertThat(r.item()).isEqualTo(item("top", s("t"), "a.b", s("dotted"), "status", s("on")));
    }

    @Test
    void attributesToGetWithProjectionExpressionIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"))).attributesToGet("top").projectionExpression("num")),
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}");
    }

    @Test
    void keyWithAWrongTypeIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", n("1")))),
                "The provided key element does not match the schema");
    }

    @Test
    void keyWithAnExtraAttributeIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"), "top", s("t")))),
                "The provided key element does not match the schema");
    }

    @Test
    void keyWithAWrongNameIsRefused() {
        String t = tableWithSample();
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("oth", s("a")))),
                "The provided key element does not match the schema");
    }

    @Test
    void keyMissingTheSortKeyIsRefused() {
        String t = table(true);
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a")))),
                "The provided key element does not match the schema");
    }

    @Test
    void keyWithOnlyTheSortKeyIsRefused() {
        String t = table(true);
        assertValidation(() -> dynamo.getItem(g -> g.tableName(t).key(item("sk", s("a")))),
                "The provided key element does not match the schema");
    }

    @Test
    void missingTableIsResourceNotFound() {
        assertThatThrownBy(() -> dynamo.getItem(g -> g.tableName("no-such-table-get").key(item("pk", s("a")))))
                .isInstanceOfSatisfying(ResourceNotFoundException.class,
                        e -> assertThat(e.awsErrorDetails().errorMessage()).contains("Requested resource not found"));
    }
}
