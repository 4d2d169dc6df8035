package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PutItem, written from the DynamoDB API Reference "PutItem" (Item, ReturnValues, ConditionExpression,
 * ReturnValuesOnConditionCheckFailure, errors), the Developer Guide "Working with items" (conditional writes),
 * "Service, account, and table quotas" (partition key 2048 bytes, sort key 1024 bytes, item 400 KB including
 * attribute names, empty strings not allowed in keys) and "Item sizes and formats" / capacity unit calculations
 * (how item size is computed).
 */
class PutItemTest extends Conformance {

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

    /** A table keyed pk (B) and sk (B). */
    private static String binaryKeyTable() {
        return table(true, b -> b
                .attributeDefinitions(
                        AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.B).build(),
                        AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.B).build())
                .keySchema(
                        KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                        KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build()));
    }

    /** A table keyed pk (N). */
    private static String numberKeyTable() {
        return table(false, b -> b
                .attributeDefinitions(AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.N).build())
                .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build()));
    }

    @Test
    void putStoresTheItemAndReplacesAWholeItem() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "x", s("1"), "y", s("2"))));
        assertThat(get(t, item("pk", s("a")))).isEqualTo(item("pk", s("a"), "x", s("1"), "y", s("2")));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "z", s("3"))));
        // A put replaces the item: x and y are gone.
        assertThat(get(t, item("pk", s("a")))).isEqualTo(item("pk", s("a"), "z", s("3")));
    }

    @Test
    void returnValuesNoneReturnsNoAttributes() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "x", s("1"))));
        PutItemResponse r = dynamo.putItem(p -> p.tableName(t).item(item("pk", s("a"), "x", s("2"))).returnValues(ReturnValue.NONE));
        assertThat(r.hasAttributes()).isFalse();
        PutItemResponse byDefault = dynamo.putItem(p -> p.tableName(t).item(item("pk", s("a"), "x", s("3"))));
        assertThat(byDefault.hasAttributes()).isFalse();
    }

    @Test
    void returnValuesAllOldReturnsTheReplacedItem() {
        String t = table(true);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("b"), "x", s("1"), "l", AttributeValue.fromL(List.of(n("1"))))));
        PutItemResponse r = dynamo.putItem(p -> p.tableName(t).item(item("pk", s("a"), "sk", s("b"), "x", s("2"))).returnValues(ReturnValue.ALL_OLD));
        assertThat(r.attributes()).isEqualTo(item("pk", s("a"), "sk", s("b"), "x", s("1"), "l", AttributeValue.fromL(List.of(n("1")))));
    }

    @Test
    void returnValuesAllOldOnANewItemReturnsNothing() {
        String t = table(false);
        PutItemResponse r = dynamo.putItem(p -> p.tableName(t).item(item("pk", s("new"))).returnValues(ReturnValue.ALL_OLD));
        assertThat(r.hasAttributes()).isFalse();
    }

    @Test
    void otherReturnValuesAreRefused() {
        String t = table(false);
        for (ReturnValue v : List.of(ReturnValue.ALL_NEW, ReturnValue.UPDATED_OLD, ReturnValue.UPDATED_NEW)) {
            assertValidation(() -> dynamo.putItem(p -> p.tableName(t).item(item("pk", s("a"))).returnValues(v)),
                    "ReturnValues can only be ALL_OLD or NONE");
        }
        assertThat(get(t, item("pk", s("a")))).isNull();
    }

    @Test
    void unknownReturnValuesIsRefused() {
        String t = table(false);
        assertValidation(() -> dynamo.putItem(p -> p.tableName(t).item(item("pk", s("a"))).returnValues("EVERYTHING")),
                "Member must satisfy enum value set");
    }

    @Test
    void conditionThatHoldsWrites() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a")))
                .conditionExpression("attribute_not_exists(pk)"));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "v", n("2")))
                .conditionExpression("attribute_exists(pk) AND attribute_not_exists(v)"));
        assertThat(get(t, item("pk", s("a")))).isEqualTo(item("pk", s("a"), "v", n("2")));
    }

    @Test
    void conditionThatFailsIsConditionalCheckFailedAndWritesNothing() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "v", n("1"))));
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "v", n("9")))
                .conditionExpression("v = :two").expressionAttributeValues(item(":two", n("2")))))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> {
                    assertThat(e.awsErrorDetails().errorMessage()).contains("The conditional request failed");
                    assertThat(e.hasItem()).isFalse();
                });
        assertThat(get(t, item("pk", s("a")))).isEqualTo(item("pk", s("a"), "v", n("1")));
    }

    @Test
    void conditionOnAMissingItemSeesNoAttributes() {
        String t = table(false);
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a")))
                .conditionExpression("attribute_exists(pk)")))
                .isInstanceOf(ConditionalCheckFailedException.class);
        assertThat(get(t, item("pk", s("a")))).isNull();
    }

    @Test
    void returnValuesOnConditionCheckFailureAllOldCarriesTheExistingItem() {
        String t = table(false);
        Map<String, AttributeValue> old = item("pk", s("a"), "v", n("1"), "m", AttributeValue.fromM(Map.of("k", s("x"))));
        dynamo.putItem(r -> r.tableName(t).item(old));
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "v", n("9")))
                .conditionExpression("attribute_not_exists(pk)")
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> assertThat(e.item()).isEqualTo(old));
    }

    @Test
    void returnValuesOnConditionCheckFailureAllOldWithNoItemCarriesNoItem() {
        String t = table(false);
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a")))
                .conditionExpression("attribute_exists(pk)")
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> assertThat(e.hasItem()).isFalse());
    }

    @Test
    void returnValuesOnConditionCheckFailureNoneCarriesNoItem() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"))));
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a")))
                .conditionExpression("attribute_not_exists(pk)")
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.NONE)))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> assertThat(e.hasItem()).isFalse());
    }

    @Test
    void missingPartitionKeyIsRefused() {
        String t = table(false);
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("x", s("a")))),
                "One or more parameter values were invalid: Missing the key pk in the item");
    }

    @Test
    void missingSortKeyIsRefused() {
        String t = table(true);
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "x", s("1")))),
                "One or more parameter values were invalid: Missing the key sk in the item");
    }

    @Test
    void keyTypeMismatchIsRefused() {
        String t = table(true);
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", n("1"), "sk", s("a")))),
                "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N");
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", b((byte) 1)))),
                "One or more parameter values were invalid: Type mismatch for key sk expected: S actual: B");
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", AttributeValue.fromL(List.of(s("a"))), "sk", s("a")))),
                "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: L");
    }

    @Test
    void numberKeyIsNormalizedSoEqualNumbersAreTheSameItem() {
        String t = numberKeyTable();
        dynamo.putItem(r -> r.tableName(t).item(item("pk", n("1.50"), "v", s("first"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", n("1.5"), "v", s("second"))));
        assertThat(get(t, item("pk", n("01.500")))).isEqualTo(item("pk", n("1.5"), "v", s("second")));
    }

    @Test
    void emptyStringKeyIsRefused() {
        String t = table(true);
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s(""), "sk", s("a")))),
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk");
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("")))),
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: sk");
    }

    @Test
    void emptyBinaryKeyIsRefused() {
        String t = binaryKeyTable();
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", b(), "sk", b((byte) 1)))),
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk");
    }

    @Test
    void partitionKeyOf2048BytesIsAcceptedAnd2049Refused() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p".repeat(2048)))));
        assertThat(get(t, item("pk", s("p".repeat(2048))))).isNotNull();
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p".repeat(2049))))),
                "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of");
    }

    @Test
    void partitionKeySizeCountsUtf8Bytes() {
        String t = table(false);
        // "é" is 2 UTF-8 bytes: 1024 of them are exactly 2048 bytes, and 1024 of them plus "x" are 2049.
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("é".repeat(1024)))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("é".repeat(1024) + "x")))),
                "Size of hashkey has exceeded the maximum size limit of");
    }

    @Test
    void sortKeyOf1024BytesIsAcceptedAnd1025Refused() {
        String t = table(true);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("s".repeat(1024)))));
        assertThat(get(t, item("pk", s("a"), "sk", s("s".repeat(1024))))).isNotNull();
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("s".repeat(1025))))),
                "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("é".repeat(512) + "x")))),
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
    }

    @Test
    void binaryKeySizesCountRawBytes() {
        String t = binaryKeyTable();
        dynamo.putItem(r -> r.tableName(t).item(item("pk", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[2048])),
                "sk", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[1024])))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[2049])),
                        "sk", b((byte) 1)))),
                "Size of hashkey has exceeded the maximum size limit of");
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", b((byte) 1),
                        "sk", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[1025]))))),
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
    }

    // Item size: the sum of attribute-name UTF-8 bytes plus value sizes; 409,600 bytes is the maximum.

    @Test
    void itemOfExactly400KbIsAcceptedAndOneByteMoreRefused() {
        String t = table(false);
        // "pk"(2) + "a"(1) + "d"(1) + value.
        int value = 409600 - 4;
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", s("x".repeat(value)))));
        assertThat(get(t, item("pk", s("a"))).get("d").s()).hasSize(value);
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"), "d", s("x".repeat(value + 1))))),
                "Item size has exceeded the maximum allowed size");
        assertThat(get(t, item("pk", s("b")))).isNull();
    }

    @Test
    void attributeNamesCountTowardsItemSize() {
        String t = table(false);
        String name = "n".repeat(100);
        // "pk"(2) + "a"(1) + name(100) + value.
        int value = 409600 - 103;
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), name, s("x".repeat(value)))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), name + "n", s("x".repeat(value))))),
                "Item size has exceeded the maximum allowed size");
    }

    @Test
    void stringSizeIsUtf8Bytes() {
        String t = table(false);
        // "pk"(2) + "a"(1) + "d"(1) + "é" x 204798 (409596 bytes) = 409600.
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", s("é".repeat(204798)))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", s("é".repeat(204798) + "x")))),
                "Item size has exceeded the maximum allowed size");
    }

    @Test
    void binarySizeIsRawBytes() {
        String t = table(false);
        int value = 409600 - 4;
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[value])))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d",
                        AttributeValue.fromB(SdkBytes.fromByteArray(new byte[value + 1]))))),
                "Item size has exceeded the maximum allowed size");
    }

    @Test
    void listAndMapSizesCountThreeBytesPlusOnePerElement() {
        String t = table(false);
        // List: "pk"(2) + "a"(1) + "l"(1) + 3 + (1 + 1 + "x"s) = 409600 -> "x"s = 409591 (the element s("") costs 1).
        int listValue = 409600 - 4 - 3 - 1 - 1;
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "l",
                AttributeValue.fromL(List.of(s(""), s("x".repeat(listValue)))))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "l",
                        AttributeValue.fromL(List.of(s(""), s("x".repeat(listValue + 1))))))),
                "Item size has exceeded the maximum allowed size");
        // Map: "pk"(2) + "a"(1) + "m"(1) + 3 + (1 + "k"(1) + "x"s) = 409600.
        int mapValue = 409600 - 4 - 3 - 1 - 1;
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "m",
                AttributeValue.fromM(Map.of("k", s("x".repeat(mapValue)))))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "m",
                        AttributeValue.fromM(Map.of("k", s("x".repeat(mapValue + 1))))))),
                "Item size has exceeded the maximum allowed size");
    }

    @Test
    void numberSizeIsAboutOneBytePerTwoSignificantDigitsPlusOne() {
        String t = table(false);
        // 38 significant digits take 20 bytes: "pk"(2) + "a"(1) + "n"(1) + 20 + "d"(1) + value = 409600.
        String thirtyEight = "12345678901234567890123456789012345678";
        int value = 409600 - 25;
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "n", n(thirtyEight), "d", s("x".repeat(value)))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "n", n(thirtyEight), "d", s("x".repeat(value + 1))))),
                "Item size has exceeded the maximum allowed size");
    }

    @Test
    void booleanAndNullTakeOneByte() {
        String t = table(false);
        // "pk"(2) + "a"(1) + "t"(1) + 1 + "z"(1) + 1 + "d"(1) + value = 409600.
        int value = 409600 - 8;
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "t", AttributeValue.fromBool(true),
                "z", AttributeValue.fromNul(true), "d", s("x".repeat(value)))));
        assertValidation(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "t", AttributeValue.fromBool(true),
                        "z", AttributeValue.fromNul(true), "d", s("x".repeat(value + 1))))),
                "Item size has exceeded the maximum allowed size");
    }

    @Test
    void writeCostIsTheLargerOfOldAndNewItem() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", s("x".repeat(3000)))));
        PutItemResponse r = dynamo.putItem(p -> p.tableName(t).item(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(r.consumedCapacity().capacityUnits()).isEqualTo(3.0);
        PutItemResponse small = dynamo.putItem(p -> p.tableName(t).item(item("pk", s("a")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertThat(small.consumedCapacity().capacityUnits()).isEqualTo(1.0);
    }

    @Test
    void missingTableIsResourceNotFound() {
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName("no-such-table-put").item(item("pk", s("a")))))
                .isInstanceOfSatisfying(ResourceNotFoundException.class,
                        e -> assertThat(e.awsErrorDetails().errorMessage()).contains("Requested resource not found"));
    }
}
