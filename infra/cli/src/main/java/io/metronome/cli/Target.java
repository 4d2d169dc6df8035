package io.metronome.cli;

import io.metronome.engine.Dispatcher;
import io.metronome.store.ApiKeyRepository;
import io.metronome.store.RunRepository;
import io.metronome.store.Tables;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.time.Clock;

/**
 * The deployment a command works on, AWS or the local stack: clients, and the tables and queues it reads.
 *
 * @param name what the messages call it ("the local stack in .metronome", "stack prod in eu-west-1")
 */
record Target(String name, DynamoDbClient dynamo, SqsClient sqs, String apiKeysTable, String runsTable,
              String nodeQueueUrl, String deadLetterQueueUrl) implements AutoCloseable {

    ApiKeyRepository apiKeys() {
        return new ApiKeyRepository(dynamo, tables());
    }

    RunRepository runs() {
        return new RunRepository(dynamo, tables());
    }

    /** Sends to the node queue the way the engine does (a message due later goes with its SQS delay). */
    Dispatcher nodeQueue() {
        return new Dispatcher(sqs, nodeQueueUrl, Clock.systemUTC());
    }

    /** The commands read only these two tables; the others are named by no output, and are not needed. */
    private Tables tables() {
        return new Tables(runsTable, null, null, null, null, null, null, apiKeysTable);
    }

    @Override
    public void close() {
        dynamo.close();
        sqs.close();
    }
}
