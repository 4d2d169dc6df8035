package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.IdempotentParameterMismatchException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * TransactWriteItems, written from the API reference (API_TransactWriteItems, CancellationReason) and the
 * Developer Guide "Amazon DynamoDB Transactions: How it works" (transaction-apis.md: isolation, idempotency with
 * ClientRequestToken, error handling) and Service quotas (100 actions, 4 MB per transaction).
 */
class TransactWriteItemsTest extends Conformance {

    private static final String CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons ";

    private static TransactWriteItem put(String table, Map<String, AttributeValue> item) {
        return TransactWriteItem.builder().put(p -> p.tableName(table).item(item)).build();
    }

    private static Map<String, AttributeValue> get(String table, Map<String, AttributeValue> key) {
        return dynamo.getItem(r -> r.tableName(table).key(key).consistentRead(true)).item();
    }

    private static void assertValidation(ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(message);
        });
    }

    /** Two tables with: t1 upd {n: 1}, t1 del, t2 chk/1 {state: open}. */
    private record Fixture(String t1, String t2) {
        static Fixture create() {
            String t1 = table(false);
            String t2 = table(true);
            dynamo.putItem(r -> r.tableName(t1).item(item("pk", s("upd"), "n", n("1"))));
            dynamo.putItem(r -> r.tableName(t1).item(item("pk", s("del"), "v", s("here"))));
            dynamo.putItem(r -> r.tableName(t2).item(item("pk", s("chk"), "sk", s("1"), "state", s("open"))));
            return new Fixture(t1, t2);
        }

        List<TransactWriteItem> actions(String expectedState, String expectedN) {
            return List.of(
                    TransactWriteItem.builder().put(p -> p.tableName(t1).item(item("pk", s("new"), "v", s("x")))
                            .conditionExpression("attribute_not_exists(pk)")).build(),
                    TransactWriteItem.builder().update(u -> u.tableName(t1).key(item("pk", s("upd")))
                            .updateExpression("SET n = n + :one").conditionExpression("n = :expected")
                            .expressionAttributeValues(item(":one", n("1"), ":expected", n(expectedN)))).build(),
                    TransactWriteItem.builder().delete(d -> d.tableName(t1).key(item("pk", s("del")))
                            .conditionExpression("attribute_exists(pk)")).build(),
                    TransactWriteItem.builder().conditionCheck(c -> c.tableName(t2).key(item("pk", s("chk"), "sk", s("1")))
                            .conditionExpression("#s = :state").expressionAttributeNames(Map.of("#s", "state"))
                            .expressionAttributeValues(item(":state", s(expectedState)))).build());
        }

        void assertUnchanged() {
            assertThat(get(t1, item("pk", s("new")))).isEmpty();
            assertThat(get(t1, item("pk", s("upd")))).isEqualTo(item("pk", s("upd"), "n", n("1")));
            assertThat(get(t1, item("pk", s("del")))).isEqualTo(item("pk", s("del"), "v", s("here")));
            assertThat(get(t2, item("pk", s("chk"), "sk", s("1")))).containsEntry("state", s("open"));
        }
    }

    @Test
    void putUpdateDeleteAndConditionCheckAcrossTwoTablesApplyTogether() {
        Fixture f = Fixture.create();
        dynamo.transactWriteItems(r -> r.transactItems(f.actions("open", "1")));

        assertThat(get(f.t1, item("pk", s("new")))).isEqualTo(item("pk", s("new"), "v", s("x")));
        assertThat(get(f.t1, item("pk", s("upd")))).isEqualTo(item("pk", s("upd"), "n", n("2")));
        assertThat(get(f.t1, item("pk", s("del")))).isEmpty();
        assertThat(get(f.t2, item("pk", s("chk"), "sk", s("1"))))
                .isEqualTo(item("pk", s("chk"), "sk", s("1"), "state", s("open")));
    }

    @Test
    void aFailedConditionCheckCancelsEveryAction() {
        Fixture f = Fixture.create();
        TransactionCanceledException e = catchThrowableOfType(TransactionCanceledException.class,
                () -> dynamo.transactWriteItems(r -> r.transactItems(f.actions("closed", "1"))));

        assertThat(e).isNotNull();
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("TransactionCanceledException");
        assertThat(e.cancellationReasons()).extracting(CancellationReason::code)
                .containsExactly("None", "None", "None", "ConditionalCheckFailed");
        assertThat(e.cancellationReasons().get(3).message()).isEqualTo("The conditional request failed");
        assertThat(e.cancellationReasons().get(0).message()).isNull();
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo(CANCELLED + "[None, None, None, ConditionalCheckFailed]");
        f.assertUnchanged();
    }

    @Test
    void reasonsAreInRequestOrderWhenAMiddleActionFails() {
        Fixture f = Fixture.create();
        // The Update (second) expects n = 5, which is false; everything else would succeed.
        TransactionCanceledException e = catchThrowableOfType(TransactionCanceledException.class,
                () -> dynamo.transactWriteItems(r -> r.transactItems(f.actions("open", "5"))));

        assertThat(e.cancellationReasons()).extracting(CancellationReason::code)
                .containsExactly("None", "ConditionalCheckFailed", "None", "None");
        assertThat(e.cancellationReasons().get(1).message()).isEqualTo("The conditional request failed");
        assertThat(e.cancellationReasons().get(1).hasItem()).isFalse();
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo(CANCELLED + "[None, ConditionalCheckFailed, None, None]");
        f.assertUnchanged();
    }

    @Test
    void allOldOnConditionCheckFailureReturnsTheItemInTheReason() {
        Fixture f = Fixture.create();
        TransactionCanceledException e = catchThrowableOfType(TransactionCanceledException.class,
                () -> dynamo.transactWriteItems(r -> r.transactItems(
                        put(f.t1, item("pk", s("other"))),
                        TransactWriteItem.builder().update(u -> u.tableName(f.t1).key(item("pk", s("upd")))
                                .updateExpression("SET n = :ten").conditionExpression("n = :two")
                                .expressionAttributeValues(item(":ten", n("10"), ":two", n("2")))
                                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)).build(),
                        TransactWriteItem.builder().conditionCheck(c -> c.tableName(f.t2).key(item("pk", s("chk"), "sk", s("1")))
                                .conditionExpression("attribute_not_exists(pk)")
                                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)).build())));

        assertThat(e.cancellationReasons()).extracting(CancellationReason::code)
                .containsExactly("None", "ConditionalCheckFailed", "ConditionalCheckFailed");
        assertThat(e.cancellationReasons().get(0).hasItem()).isFalse();
        assertThat(e.cancellationReasons().get(1).item()).isEqualTo(item("pk", s("upd"), "n", n("1")));
        assertThat(e.cancellationReasons().get(2).item())
                .isEqualTo(item("pk", s("chk"), "sk", s("1"), "state", s("open")));
        assertThat(get(f.t1, item("pk", s("other")))).isEmpty();
        f.assertUnchanged();
    }

    @Test
    void twoActionsOnOneItemAreRefused() {
        String t = table(true);
        assertValidation(() -> dynamo.transactWriteItems(r -> r.transactItems(
                        put(t, item("pk", s("a"), "sk", s("1"), "v", s("x"))),
                        TransactWriteItem.builder().conditionCheck(c -> c.tableName(t).key(item("pk", s("a"), "sk", s("1")))
                                .conditionExpression("attribute_not_exists(pk)")).build())),
                "Transaction request cannot include multiple operations on one item");
        assertValidation(() -> dynamo.transactWriteItems(r -> r.transactItems(
                        put(t, item("pk", s("b"), "sk", s("1"))),
                        TransactWriteItem.builder().delete(d -> d.tableName(t).key(item("pk", s("b"), "sk", s("1")))).build())),
                "Transaction request cannot include multiple operations on one item");
        assertThat(get(t, item("pk", s("a"), "sk", s("1")))).isEmpty();
        assertThat(get(t, item("pk", s("b"), "sk", s("1")))).isEmpty();

        // Same partition key, different sort keys: two items, accepted.
        dynamo.transactWriteItems(r -> r.transactItems(
                put(t, item("pk", s("a"), "sk", s("1"))), put(t, item("pk", s("a"), "sk", s("2")))));
        assertThat(get(t, item("pk", s("a"), "sk", s("2")))).isNotEmpty();
    }

    @Test
    void oneHundredActionsAreAcceptedAndOneHundredAndOneRefused() {
        String t = table(false);
        List<TransactWriteItem> actions = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            actions.add(put(t, item("pk", s("k" + i), "i", n(Integer.toString(i)))));
        }
        assertValidation(() -> dynamo.transactWriteItems(r -> r.transactItems(actions)),
                "Member must have length less than or equal to 100");
        assertThat(get(t, item("pk", s("k0")))).isEmpty();

        dynamo.transactWriteItems(r -> r.transactItems(actions.subList(0, 100)));
        assertThat(get(t, item("pk", s("k0")))).containsEntry("i", n("0"));
        assertThat(get(t, item("pk", s("k99")))).containsEntry("i", n("99"));
        assertThat(get(t, item("pk", s("k100")))).isEmpty();
    }

    @Test
    void anEmptyTransactionIsRefused() {
        assertValidation(() -> dynamo.transactWriteItems(r -> r.transactItems(List.of())),
                "Member must have length greater than or equal to 1");
    }

    @Test
    void aMissingTableIsResourceNotFoundAndNothingIsWritten() {
        String t = table(false);
        assertThatThrownBy(() -> dynamo.transactWriteItems(r -> r.transactItems(
                put(t, item("pk", s("a"))), put("no-such-table-tw", item("pk", s("a"))))))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Requested resource not found");
        assertThat(get(t, item("pk", s("a")))).isEmpty();
    }

    @Test
    void theSameClientRequestTokenAndRequestWritesOnce() {
        String t = table(false);
        String token = "token-" + System.nanoTime();
        TransactWriteItemsRequest request = TransactWriteItemsRequest.builder().clientRequestToken(token).transactItems(
                TransactWriteItem.builder().update(u -> u.tableName(t).key(item("pk", s("counter")))
                        .updateExpression("ADD c :one").expressionAttributeValues(item(":one", n("1")))).build()).build();

        dynamo.transactWriteItems(request);
        dynamo.transactWriteItems(request); // a retry: succeeds, does not write again
        assertThat(get(t, item("pk", s("counter")))).containsEntry("c", n("1"));

        // The same token with different parameters.
        TransactWriteItemsRequest different = request.toBuilder().transactItems(
                TransactWriteItem.builder().update(u -> u.tableName(t).key(item("pk", s("counter")))
                        .updateExpression("ADD c :two").expressionAttributeValues(item(":two", n("2")))).build()).build();
        assertThatThrownBy(() -> dynamo.transactWriteItems(different))
                .isInstanceOfSatisfying(IdempotentParameterMismatchException.class, e ->
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("IdempotentParameterMismatchException"));
        assertThat(get(t, item("pk", s("counter")))).containsEntry("c", n("1"));

        // A new token is a new transaction.
        dynamo.transactWriteItems(request.toBuilder().clientRequestToken(token + "-2").build());
        assertThat(get(t, item("pk", s("counter")))).containsEntry("c", n("2"));
    }

    @Test
    void aPutWithAWrongTypedKeyCancelsWithAValidationErrorReason() {
        String t = table(false);
        TransactionCanceledException e = catchThrowableOfType(TransactionCanceledException.class,
                () -> dynamo.transactWriteItems(r -> r.transactItems(
                        put(t, item("pk", s("good"))), put(t, item("pk", n("1"), "v", s("x"))))));

        assertThat(e).isNotNull();
        assertThat(e.cancellationReasons()).extracting(CancellationReason::code).containsExactly("None", "ValidationError");
        assertThat(e.cancellationReasons().get(1).message())
                .contains("One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo(CANCELLED + "[None, ValidationError]");
        assertThat(get(t, item("pk", s("good")))).isEmpty();
    }

    @Test
    void theAggregateSizeIsLimitedToFourMegabytes() {
        String t = table(false);
        // 10 items of exactly 409,600 bytes ("pk" 2 + "kN" 2 + "d" 1 + 409,595) = 4,096,000 <= 4 MB (4,194,304).
        List<TransactWriteItem> atLimit = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            atLimit.add(put(t, item("pk", s("k" + i), "d", s("x".repeat(409_595)))));
        }
        dynamo.transactWriteItems(r -> r.transactItems(atLimit));
        assertThat(get(t, item("pk", s("k9"))).get("d").s()).hasSize(409_595);

        // 11 items of 390,000 bytes ("pk" 2 + "mNN" 3 + "d" 1 + 389,994) = 4,290,000 > 4,194,304.
        List<TransactWriteItem> over = new ArrayList<>();
        for (int i = 10; i < 21; i++) {
            over.add(put(t, item("pk", s("m" + i), "d", s("y".repeat(389_994)))));
        }
        assertThatThrownBy(() -> dynamo.transactWriteItems(r -> r.transactItems(over)))
                .isInstanceOfSatisfying(DynamoDbException.class, e ->
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
        for (int i = 10; i < 21; i++) {
            assertThat(get(t, item("pk", s("m" + i)))).isEmpty();
        }
    }

    /** Put.Item is required (API_Put): a Put without one is refused as a request, before anything runs. */
    @Test
    void aPutWithoutAnItemIsRefused() {
        String t = table(false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dynamo.transactWriteItems(r -> r.transactItems(
                        TransactWriteItem.builder().put(p -> p.tableName(t)).build())))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.dynamodb.model.DynamoDbException.class, e -> {
                    org.assertj.core.api.Assertions.assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                    org.assertj.core.api.Assertions.assertThat(e.getMessage()).contains("Member must not be null");
                });
    }

    /** Updating a key attribute is a ValidationException for the request, not a cancellation reason. */
    @Test
    void anUpdateOfAKeyAttributeRefusesTheRequest() {
        String t = table(false);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"))));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dynamo.transactWriteItems(r -> r.transactItems(
                        TransactWriteItem.builder().update(u -> u.tableName(t).key(item("pk", s("a")))
                                .updateExpression("SET pk = :b").expressionAttributeValues(item(":b", s("b")))).build())))
                .isNotInstanceOf(software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException.class)
                .hasMessageContaining("Cannot update attribute pk. This attribute is part of the key");
    }
}
