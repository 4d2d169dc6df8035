package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ListStreamsResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.metronome.dynamodb.TableOperationsTest.validation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ListStreams, written from the DynamoDB Streams API Reference "ListStreams" (the streams of the account, or of one
 * table with TableName; Limit up to 100; ExclusiveStartStreamArn from LastEvaluatedStreamArn, which is absent on the
 * last page; each Stream with StreamArn, TableName and StreamLabel) and the Developer Guide "Change data capture for
 * DynamoDB Streams" (a disabled stream stays for 24 hours, then its records expire and it is deleted).
 */
class ListStreamsTest extends StreamsConformance {

    /** Every page of ListStreams, from the first, with this limit and table filter (null: none). */
    private static List<ListStreamsResponse> pages(DynamoDbStreamsClient client, Integer limit, String table) {
        List<ListStreamsResponse> pages = new ArrayList<>();
        String start = null;
        do {
            String from = start;
            ListStreamsResponse page = client.listStreams(r -> r.limit(limit).tableName(table).exclusiveStartStreamArn(from));
            pages.add(page);
            start = page.lastEvaluatedStreamArn();
        } while (start != null);
        return pages;
    }

    private static List<String> arns(List<ListStreamsResponse> pages) {
        List<String> arns = new ArrayList<>();
        pages.forEach(p -> p.streams().forEach(s -> arns.add(s.streamArn())));
        return arns;
    }

    @Test
    void listsEachStreamWithItsTableAndLabel() {
        String a = streamTable(StreamViewType.KEYS_ONLY);
        String b = streamTable(StreamViewType.NEW_IMAGE);
        String plain = table(true);
        List<software.amazon.awssdk.services.dynamodb.model.Stream> all = new ArrayList<>();
        pages(streams, null, null).forEach(p -> all.addAll(p.streams()));
        for (String t : List.of(a, b)) {
            String arn = streamArn(t);
            assertThat(all).filteredOn(s -> s.streamArn().equals(arn)).singleElement().satisfies(s -> {
                assertThat(s.tableName()).isEqualTo(t);
                assertThat(arn).endsWith("/stream/" + s.streamLabel());
            });
        }
        assertThat(all).noneMatch(s -> s.tableName().equals(plain));
    }

    @Test
    void theTableNameFilterListsOneTablesStreamsDisabledOnesToo() {
        String t = streamTable(StreamViewType.KEYS_ONLY);
        String other = streamTable(StreamViewType.KEYS_ONLY);
        String first = streamArn(t);
        dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(false)));
        dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.OLD_IMAGE)));
        String second = streamArn(t);

        ListStreamsResponse listed = streams.listStreams(r -> r.tableName(t));
        assertThat(listed.streams()).extracting(s -> s.streamArn()).containsExactlyInAnyOrder(first, second);
        assertThat(listed.streams()).allMatch(s -> s.tableName().equals(t));
        assertThat(listed.lastEvaluatedStreamArn()).isNull();
        assertThat(streams.listStreams(r -> r.tableName(other)).streams()).extracting(s -> s.streamArn())
                .containsExactly(streamArn(other));
        // A table with no stream, or no table at all: nothing to list.
        String plain = table(true);
        assertThat(streams.listStreams(r -> r.tableName(plain)).streams()).isEmpty();
        assertThat(streams.listStreams(r -> r.tableName("no-such-table-" + System.nanoTime())).streams()).isEmpty();
    }

    @Test
    void pagesByLimitFromTheLastEvaluatedStreamArn() {
        for (int i = 0; i < 3; i++) {
            streamTable(StreamViewType.KEYS_ONLY);
        }
        List<String> whole = arns(pages(streams, null, null));
        assertThat(whole).hasSizeGreaterThanOrEqualTo(3).doesNotHaveDuplicates();

        List<ListStreamsResponse> byOne = pages(streams, 1, null);
        assertThat(byOne).allMatch(p -> p.streams().size() <= 1);
        assertThat(arns(byOne)).containsExactlyElementsOf(whole);
        assertThat(byOne.get(byOne.size() - 1).lastEvaluatedStreamArn()).isNull();
        assertThat(byOne.subList(0, byOne.size() - 1)).allMatch(p -> p.lastEvaluatedStreamArn() != null);

        List<ListStreamsResponse> byTwo = pages(streams, 2, null);
        assertThat(arns(byTwo)).containsExactlyElementsOf(whole);

        // Within one table's streams too.
        String t = streamTable(StreamViewType.KEYS_ONLY);
        dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(false)));
        dynamo.updateTable(r -> r.tableName(t).streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.KEYS_ONLY)));
        List<ListStreamsResponse> ofTable = pages(streams, 1, t);
        assertThat(ofTable).hasSize(2);
        assertThat(ofTable.get(0).lastEvaluatedStreamArn()).isEqualTo(ofTable.get(0).streams().get(0).streamArn());
        assertThat(new HashSet<>(arns(ofTable))).hasSize(2);
    }

    @Test
    void refusesParametersOutOfRange() {
        validation(() -> streams.listStreams(r -> r.limit(0)), "Member must have value greater than or equal to 1");
        validation(() -> streams.listStreams(r -> r.limit(101)), "Member must have value less than or equal to 100");
        validation(() -> streams.listStreams(r -> r.tableName("ab")), "Member must have length greater than or equal to 3");
        validation(() -> streams.listStreams(r -> r.tableName("bad name!")), "Member must satisfy regular expression pattern");
        validation(() -> streams.listStreams(r -> r.exclusiveStartStreamArn("not-a-stream-arn-but-long-enough-to-pass-length")),
                "is not the ARN of a stream");
        validation(() -> streams.listStreams(r -> r.exclusiveStartStreamArn("short")),
                "Member must have length greater than or equal to 37");
    }

    @Test
    void aDisabledStreamIsListedFor24HoursThenDeleted() {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        TableOperationsTest.MovableClock clock = new TableOperationsTest.MovableClock(start);
        try (DynamoDbEmulator emulator = DynamoDbEmulator.builder().clock(clock).ttlSweepInterval(Duration.ofHours(1)).build();
             DynamoDbClient client = client(emulator.endpoint());
             DynamoDbStreamsClient streamsClient = streamsClient(emulator.endpoint())) {
            client.createTable(r -> r.tableName("runs").billingMode("PAY_PER_REQUEST")
                    .attributeDefinitions(a -> a.attributeName("pk").attributeType("S"))
                    .keySchema(k -> k.attributeName("pk").keyType("HASH"))
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.KEYS_ONLY)));
            String arn = streamArn(client, "runs");
            clock.now = start.plus(Duration.ofHours(30)); // an enabled stream never expires
            assertThat(arns(pages(streamsClient, null, "runs"))).containsExactly(arn);

            clock.now = start.plus(Duration.ofHours(31));
            client.updateTable(r -> r.tableName("runs").streamSpecification(s -> s.streamEnabled(false)));
            clock.now = start.plus(Duration.ofHours(31 + 23));
            assertThat(arns(pages(streamsClient, null, "runs"))).containsExactly(arn);
            Set<String> before = new HashSet<>(arns(pages(streamsClient, null, null)));
            assertThat(before).contains(arn);

            clock.now = start.plus(Duration.ofHours(31 + 24));
            assertThat(arns(pages(streamsClient, null, "runs"))).isEmpty();
            assertThatThrownBy(() -> streamsClient.describeStream(r -> r.streamArn(arn)))
                    .isInstanceOf(ResourceNotFoundException.class);
            emulator.trimStreams();
            assertThat(arns(pages(streamsClient, null, null))).doesNotContain(arn);
            // The table keeps the ARN of its latest stream.
            assertThat(streamArn(client, "runs")).isEqualTo(arn);
        }
    }
}
