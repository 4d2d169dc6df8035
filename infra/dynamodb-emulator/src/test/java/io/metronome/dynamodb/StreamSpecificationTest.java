package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamDescription;
import software.amazon.awssdk.services.dynamodb.model.StreamStatus;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.UpdateTableResponse;

import java.util.List;

import static io.metronome.dynamodb.TableOperationsTest.validation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A table's stream settings, written from the DynamoDB API Reference "CreateTable", "UpdateTable" and
 * "DescribeTable" (StreamSpecification, LatestStreamArn, LatestStreamLabel), "StreamSpecification" (StreamEnabled;
 * StreamViewType KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES) and the Developer Guide "Change data capture
 * for DynamoDB Streams" (Streams.html, "Enabling a stream": a ValidationException when enabling a stream on a table
 * that has one, or disabling one on a table that has none; a re-enabled stream is a new stream with a new
 * descriptor; a disabled stream stays readable for 24 hours), and "DeleteTable" (the stream of a deleted table goes
 * DISABLED). Error texts are DynamoDB's as observed ("Table already has an enabled stream: TableName: ...").
 */
class StreamSpecificationTest extends StreamsConformance {

    private static final String ARN = "arn:aws:dynamodb:[a-z0-9-]+:[0-9]{12}:table/%s/stream/"
            + "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}";

    private static String plainTable() {
        return table(true);
    }

    private static StreamDescription describeStream(String arn) {
        return streams.describeStream(r -> r.streamArn(arn)).streamDescription();
    }

    @Test
    void createTableWithAStreamOfEachViewType() {
        for (StreamViewType type : List.of(StreamViewType.KEYS_ONLY, StreamViewType.NEW_IMAGE, StreamViewType.OLD_IMAGE,
                StreamViewType.NEW_AND_OLD_IMAGES)) {
            String name = "s" + System.nanoTime();
            CreateTableResponse created = dynamo.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                    .keySchema(k -> k.attributeName("pk").keyType("HASH"))
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(type)));
            TableDescription c = created.tableDescription();
            assertThat(c.streamSpecification().streamEnabled()).isTrue();
            assertThat(c.streamSpecification().streamViewType()).isEqualTo(type);
            assertThat(c.latestStreamArn()).matches(String.format(ARN, name));
            assertThat(c.latestStreamArn()).endsWith("/stream/" + c.latestStreamLabel());

            TableDescription d = dynamo.describeTable(r -> r.tableName(name)).table();
            assertThat(d.streamSpecification()).isEqualTo(c.streamSpecification());
            assertThat(d.latestStreamArn()).isEqualTo(c.latestStreamArn());
            assertThat(d.latestStreamLabel()).isEqualTo(c.latestStreamLabel());
            assertThat(streams.listStreams(r -> r.tableName(name)).streams())
                    .extracting(s -> s.streamArn()).containsExactly(c.latestStreamArn());
            assertThat(describeStream(c.latestStreamArn()).streamViewType()).isEqualTo(type);
        }
    }

    @Test
    void aTableWithoutAStreamHasNeitherSpecificationNorStreamArn() {
        String none = plainTable();
        String off = table(true, b -> b.streamSpecification(s -> s.streamEnabled(false)));
        for (String t : List.of(none, off)) {
            TableDescription d = dynamo.describeTable(r -> r.tableName(t)).table();
            assertThat(d.streamSpecification()).as(t).isNull();
            assertThat(d.latestStreamArn()).as(t).isNull();
            assertThat(d.latestStreamLabel()).as(t).isNull();
            assertThat(streams.listStreams(r -> r.tableName(t)).streams()).as(t).isEmpty();
        }
    }

    @Test
    void createTableRefusesAStreamSpecificationOutOfRule() {
        String name = "bad" + System.nanoTime();
        validation(() -> dynamo.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                        .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                        .keySchema(k -> k.attributeName("pk").keyType("HASH"))
                        .streamSpecification(s -> s.streamEnabled(true))),
                "One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required");
        validation(() -> dynamo.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                        .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                        .keySchema(k -> k.attributeName("pk").keyType("HASH"))
                        .streamSpecification(s -> s.streamEnabled(false).streamViewType(StreamViewType.KEYS_ONLY))),
                "Table is being created with a stream disabled, UpdateViewType should not be specified");
        validation(() -> dynamo.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                        .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                        .keySchema(k -> k.attributeName("pk").keyType("HASH"))
                        .streamSpecification(s -> s.streamEnabled(true).streamViewType("EVERYTHING"))),
                "Member must satisfy enum value set");
        validation(() -> dynamo.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                        .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                        .keySchema(k -> k.attributeName("pk").keyType("HASH"))
                        .streamSpecification(s -> s.streamViewType(StreamViewType.KEYS_ONLY))),
                "at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null");
        // Nothing was created by a refused request.
        assertThatThrownBy(() -> dynamo.describeTable(r -> r.tableName(name))).isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void updateTableEnablesAStreamAndRefusesASecond() {
        String t = plainTable();
        UpdateTableResponse enabled = dynamo.updateTable(r -> r.tableName(t)
                .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_IMAGE)));
        TableDescription u = enabled.tableDescription();
        assertThat(u.tableStatus()).isEqualTo(TableStatus.UPDATING);
        assertThat(u.streamSpecification().streamEnabled()).isTrue();
        assertThat(u.streamSpecification().streamViewType()).isEqualTo(StreamViewType.NEW_IMAGE);
        assertThat(u.latestStreamArn()).matches(String.format(ARN, t));

        TableDescription d = dynamo.describeTable(r -> r.tableName(t)).table();
        assertThat(d.tableStatus()).isEqualTo(TableStatus.ACTIVE);
        assertThat(d.latestStreamArn()).isEqualTo(u.latestStreamArn());
        assertThat(d.latestStreamLabel()).isEqualTo(u.latestStreamLabel());
        assertThat(describeStream(u.latestStreamArn()).streamStatus()).isEqualTo(StreamStatus.ENABLED);

        // The same again, or another view type: the stream's type cannot be changed in place.
        validation(() -> dynamo.updateTable(r -> r.tableName(t)
                        .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_IMAGE))),
                "Table already has an enabled stream: TableName: " + t);
        validation(() -> dynamo.updateTable(r -> r.tableName(t)
                        .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.KEYS_ONLY))),
                "Table already has an enabled stream: TableName: " + t);
        assertThat(dynamo.describeTable(r -> r.tableName(t)).table().latestStreamArn()).isEqualTo(u.latestStreamArn());
    }

    @Test
    void disablingKeepsTheStreamReadableAndReEnablingMakesANewOne() {
        String t = streamTable(StreamViewType.KEYS_ONLY);
        String first = streamArn(t);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("1"))));

        UpdateTableResponse off = dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(false)));
        assertThat(off.tableDescription().streamSpecification()).isNull();
        TableDescription d = dynamo.describeTable(r -> r.tableName(t)).table();
        assertThat(d.streamSpecification()).isNull();
        assertThat(d.latestStreamArn()).isEqualTo(first); // the latest stream's ARN stays after it is disabled
        StreamDescription closed = describeStream(first);
        assertThat(closed.streamStatus()).isEqualTo(StreamStatus.DISABLED);
        assertThat(closed.shards().get(0).sequenceNumberRange().endingSequenceNumber()).isNotNull();
        assertThat(eventNames(records(t))).containsExactly("INSERT");
        // Writes while the stream is off are recorded nowhere.
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"), "sk", s("1"))));

        validation(() -> dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(false))),
                "Table has no stream to disable: TableName: " + t);

        UpdateTableResponse on = dynamo.updateTable(r -> r.tableName(t)
                .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)));
        String second = on.tableDescription().latestStreamArn();
        assertThat(second).isNotEqualTo(first).matches(String.format(ARN, t));
        assertThat(on.tableDescription().latestStreamLabel()).isNotEqualTo(closed.streamLabel());
        assertThat(describeStream(second).streamStatus()).isEqualTo(StreamStatus.ENABLED);
        assertThat(describeStream(second).streamViewType()).isEqualTo(StreamViewType.NEW_AND_OLD_IMAGES);
        assertThat(describeStream(first).streamStatus()).isEqualTo(StreamStatus.DISABLED);
        assertThat(streams.listStreams(r -> r.tableName(t)).streams()).extracting(s -> s.streamArn())
                .containsExactlyInAnyOrder(first, second);

        // The new stream records what follows, not what the old one had.
        dynamo.deleteItem(r -> r.tableName(t).key(key("a", "1")));
        assertThat(eventNames(records(t))).containsExactly("REMOVE");
        assertThat(eventNames(readAll(streams, iterator(first, ShardIteratorType.TRIM_HORIZON))))
                .containsExactly("INSERT");
    }

    @Test
    void updateTableRefusesAStreamSpecificationOutOfRule() {
        String t = plainTable();
        validation(() -> dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(true))),
                "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required");
        String on = streamTable(StreamViewType.KEYS_ONLY);
        validation(() -> dynamo.updateTable(r -> r.tableName(on)
                        .streamSpecification(s -> s.streamEnabled(false).streamViewType(StreamViewType.KEYS_ONLY))),
                "If stream is being disabled, then UpdateViewType must not be specified");
        validation(() -> dynamo.updateTable(r -> r.tableName(t)
                        .streamSpecification(s -> s.streamEnabled(true).streamViewType("ALL"))),
                "Member must satisfy enum value set");
        validation(() -> dynamo.updateTable(r -> r.tableName(t)), "At least one of");
        // What this emulator does not change is refused by name, never half done.
        validation(() -> dynamo.updateTable(r -> r.tableName(t).billingMode(BillingMode.PROVISIONED)
                        .provisionedThroughput(p -> p.readCapacityUnits(1L).writeCapacityUnits(1L))),
                "BillingMode is not implemented");
        assertThatThrownBy(() -> dynamo.updateTable(r -> r.tableName("no-such-table-" + System.nanoTime())
                .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.KEYS_ONLY))))
                .isInstanceOf(ResourceNotFoundException.class);
        // None of it changed the tables.
        assertThat(dynamo.describeTable(r -> r.tableName(t)).table().streamSpecification()).isNull();
        assertThat(dynamo.describeTable(r -> r.tableName(on)).table().streamSpecification().streamEnabled()).isTrue();
    }

    @Test
    void deletingATableDisablesItsStreamWhichStaysReadable() {
        String t = streamTable(StreamViewType.NEW_IMAGE);
        String arn = streamArn(t);
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "sk", s("1"), "v", n("1"))));
        TableDescription deleted = dynamo.deleteTable(r -> r.tableName(t)).tableDescription();
        assertThat(deleted.latestStreamArn()).isEqualTo(arn);

        StreamDescription d = describeStream(arn);
        assertThat(d.streamStatus()).isEqualTo(StreamStatus.DISABLED);
        assertThat(d.tableName()).isEqualTo(t);
        assertThat(d.shards().get(0).sequenceNumberRange().endingSequenceNumber()).isNotNull();
        assertThat(streams.listStreams(r -> r.tableName(t)).streams()).extracting(s -> s.streamArn()).containsExactly(arn);
        assertThat(readAll(streams, iterator(arn, ShardIteratorType.TRIM_HORIZON)))
                .singleElement().satisfies(r -> assertThat(r.dynamodb().newImage().get("v").n()).isEqualTo("1"));
    }
}
