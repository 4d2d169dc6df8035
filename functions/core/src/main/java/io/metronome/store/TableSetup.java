package io.metronome.store;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamSpecification;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

import java.util.ArrayList;
import java.util.List;

/**
 * Creates the tables where nothing else does (the local emulator, tests). On AWS the template creates them with the
 * same keys and indexes; infra/dynamodb.md documents both.
 */
public final class TableSetup {
    private TableSetup() {
    }

    public static void createAll(DynamoDbClient dynamo, Tables t) {
        createAll(dynamo, t, false);
    }

    /**
     * @param runsStream the runs table with its stream of both images, as the template declares it (the run events'
     *                   source): for the tests that read it; the shared test tables go without, to spare the memory
     */
    public static void createAll(DynamoDbClient dynamo, Tables t, boolean runsStream) {
        // Keys only: the run item changes on every node, and an index that projected it would be rewritten each time.
        create(dynamo, t.runs(), "runId", null, runsStream ? StreamSpecification.builder().streamEnabled(true)
                        .streamViewType(StreamViewType.NEW_AND_OLD_IMAGES).build() : null,
                gsi(Tables.RUNS_BY_METRONOME, "metronomeId", "runId", ProjectionType.KEYS_ONLY),
                gsi(Tables.RUNS_BY_METRONOME_STATUS, "metronomeStatus", "runId", ProjectionType.KEYS_ONLY),
                gsi(Tables.RUNS_BY_SWEEP, "sweepShard", "sweepAt", ProjectionType.KEYS_ONLY));
        create(dynamo, t.steps(), "runId", "stepId", null);
        create(dynamo, t.auditEvents(), "scope", "id", null);
        create(dynamo, t.triggerEvents(), "metronomeId", "id", null);
        create(dynamo, t.metronomes(), "metronomeId", null, null,
                gsi(Tables.METRONOMES_BY_USER, "userId", "metronomeId", ProjectionType.ALL),
                gsi(Tables.METRONOMES_BY_NEXT_FIRE, "scheduleShard", "nextFireAt", ProjectionType.ALL),
                gsi(Tables.METRONOMES_BY_EVENT_SOURCE, "eventSource", "metronomeId", ProjectionType.ALL));
        create(dynamo, t.versions(), "metronomeId", "versionId", null);
        create(dynamo, t.idempotency(), "key", null, null);
        create(dynamo, t.apiKeys(), "keyHash", null, null,
                gsi(Tables.API_KEYS_BY_USER, "userId", "keyId", ProjectionType.ALL));
    }

    private static String[] gsi(String name, String pk, String sk, ProjectionType projection) {
        return new String[]{name, pk, sk, projection.toString()};
    }

    private static void create(DynamoDbClient dynamo, String table, String pk, String sk, StreamSpecification stream,
                               String[]... indexes) {
        List<AttributeDefinition> attributes = new ArrayList<>();
        List<String> defined = new ArrayList<>();
        for (String a : new String[]{pk, sk}) {
            if (a != null && !defined.contains(a)) {
                defined.add(a);
            }
        }
        List<GlobalSecondaryIndex> gsis = new ArrayList<>();
        for (String[] idx : indexes) {
            for (int i = 1; i < 3; i++) {
                if (!defined.contains(idx[i])) {
                    defined.add(idx[i]);
                }
            }
            gsis.add(GlobalSecondaryIndex.builder().indexName(idx[0])
                    .keySchema(KeySchemaElement.builder().attributeName(idx[1]).keyType(KeyType.HASH).build(),
                            KeySchemaElement.builder().attributeName(idx[2]).keyType(KeyType.RANGE).build())
                    .projection(Projection.builder().projectionType(ProjectionType.fromValue(idx[3])).build()).build());
        }
        defined.forEach(a -> attributes.add(AttributeDefinition.builder().attributeName(a)
                .attributeType(ScalarAttributeType.S).build()));
        List<KeySchemaElement> key = new ArrayList<>();
        key.add(KeySchemaElement.builder().attributeName(pk).keyType(KeyType.HASH).build());
        if (sk != null) {
            key.add(KeySchemaElement.builder().attributeName(sk).keyType(KeyType.RANGE).build());
        }
        CreateTableRequest.Builder request = CreateTableRequest.builder().tableName(table)
                .attributeDefinitions(attributes).keySchema(key).billingMode(BillingMode.PAY_PER_REQUEST);
        if (!gsis.isEmpty()) {
            request.globalSecondaryIndexes(gsis);
        }
        if (stream != null) {
            request.streamSpecification(stream);
        }
        try {
            dynamo.createTable(request.build());
        } catch (ResourceInUseException alreadyThere) {
            // created by an earlier start of the local stack
        }
    }
}
