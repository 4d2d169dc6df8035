package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error as DynamoDB answers it: a type (the part after {@code #} in {@code __type}), a message, the HTTP status,
 * and for some types extra members (the item inside a ConditionalCheckFailedException, a transaction's
 * CancellationReasons).
 */
final class DynamoDbException extends RuntimeException {
    private static final String DYNAMODB = "com.amazonaws.dynamodb.v20120810#";
    private static final String CORAL_VALIDATE = "com.amazon.coral.validate#";
    private static final String CORAL_SERVICE = "com.amazon.coral.service#";

    final String type;
    final int status;
    final transient ObjectNode extra;

    private DynamoDbException(String type, String message, int status, ObjectNode extra) {
        super(message, null, false, false);
        this.type = type;
        this.status = status;
        this.extra = extra;
    }

    static DynamoDbException validation(String message) {
        return new DynamoDbException(CORAL_VALIDATE + "ValidationException", message, 400, null);
    }

    /** Validation of an expression, prefixed as DynamoDB does: "Invalid UpdateExpression: ...". */
    static DynamoDbException invalidExpression(String which, String message) {
        return validation("Invalid " + which + ": " + message);
    }

    static DynamoDbException invalidParameter(String message) {
        return validation("One or more parameter values were invalid: " + message);
    }

    static DynamoDbException resourceNotFound(String message) {
        return new DynamoDbException(DYNAMODB + "ResourceNotFoundException", message, 400, null);
    }

    static DynamoDbException tableNotFound() {
        return resourceNotFound("Requested resource not found");
    }

    static DynamoDbException resourceInUse(String message) {
        return new DynamoDbException(DYNAMODB + "ResourceInUseException", message, 400, null);
    }

    static DynamoDbException conditionalCheckFailed(ObjectNode itemMember) {
        return new DynamoDbException(DYNAMODB + "ConditionalCheckFailedException", "The conditional request failed",
                400, itemMember);
    }

    static DynamoDbException transactionCanceled(String message, ObjectNode reasons) {
        return new DynamoDbException(DYNAMODB + "TransactionCanceledException", message, 400, reasons);
    }

    static DynamoDbException idempotentParameterMismatch(String message) {
        return new DynamoDbException(DYNAMODB + "IdempotentParameterMismatchException", message, 400, null);
    }

    /** A shard iterator used more than 15 minutes after it was returned. */
    static DynamoDbException expiredIterator(String message) {
        return new DynamoDbException(DYNAMODB + "ExpiredIteratorException", message, 400, null);
    }

    /** A read of stream records that were trimmed (past their 24 hours). */
    static DynamoDbException trimmedDataAccess(String message) {
        return new DynamoDbException(DYNAMODB + "TrimmedDataAccessException", message, 400, null);
    }

    static DynamoDbException serialization(String message) {
        return new DynamoDbException(CORAL_SERVICE + "SerializationException", message, 400, null);
    }

    /** DynamoDB's answer has no message; a named operation gets one saying that this emulator lacks it. */
    static DynamoDbException unknownOperation(String operation) {
        return new DynamoDbException(CORAL_SERVICE + "UnknownOperationException", operation == null ? null
                : "The DynamoDB emulator does not implement " + operation + " (its README lists what it does)", 400, null);
    }

    static DynamoDbException internal(String message) {
        return new DynamoDbException(DYNAMODB + "InternalServerError", message, 500, null);
    }

    /** The short type, e.g. ValidationException. */
    String shortType() {
        return type.substring(type.indexOf('#') + 1);
    }
}
