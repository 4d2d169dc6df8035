package io.metronome.local;

import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import io.metronome.dynamodb.DynamoDbEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Where the local event source mapping goes on after an answer, or after falling behind, as Lambda does. */
class StreamPollerTest {
    private static final List<Record> BATCH = List.of(record("10"), record("20"), record("30"));

    private static Record record(String sequence) {
        return Record.builder().dynamodb(d -> d.sequenceNumber(sequence)).build();
    }

    private static StreamsEventResponse failing(String... sequences) {
        return StreamsEventResponse.builder().withBatchItemFailures(java.util.Arrays.stream(sequences)
                .map(s -> StreamsEventResponse.BatchItemFailure.builder().withItemIdentifier(s).build()).toList()).build();
    }

    @Test
    void everythingBeforeTheLowestReportedRecordIsDone() {
        assertThat(StreamPoller.doneCount(BATCH, null)).isEqualTo(3);
        assertThat(StreamPoller.doneCount(BATCH, failing())).isEqualTo(3);
        assertThat(StreamPoller.doneCount(BATCH, failing("20"))).isEqualTo(1);
        assertThat(StreamPoller.doneCount(BATCH, failing("30", "10"))).isEqualTo(0);
    }

    @Test
    void anIdentifierNotInTheBatchFailsAllOfIt() {
        assertThat(StreamPoller.doneCount(BATCH, failing("99"))).isEqualTo(0);
        assertThat(StreamPoller.doneCount(BATCH, failing((String) null))).isEqualTo(0);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aReaderOvertakenByTheStreamsTrimGoesOnFromTheOldestRecordLeftInsteadOfStalling() throws Exception {
        try (DynamoDbEmulator emulator = DynamoDbEmulator.builder().maxStreamBytes(20_000).build()) {
            DynamoDbClient dynamo = LocalClients.dynamo(emulator.endpoint(), LocalClients.plain());
            dynamo.createTable(c -> c.tableName("trimmed").billingMode("PAY_PER_REQUEST")
                    .attributeDefinitions(a -> a.attributeName("k").attributeType("S"))
                    .keySchema(k -> k.attributeName("k").keyType("HASH"))
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)));
            CountDownLatch firstBatchHeld = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<String> lastKeySeen = new AtomicReference<>();
            StreamPoller poller = new StreamPoller(LocalClients.streams(emulator.endpoint()), "trimmed",
                    new SamTemplate.StreamSource("Reader", "example.Handler::handleRequest", "T", 10, "TRIM_HORIZON",
                            Duration.ofSeconds(30), 128),
                    (DynamodbEvent event, com.amazonaws.services.lambda.runtime.Context context) -> {
                        if (firstBatchHeld.getCount() > 0) {
                            firstBatchHeld.countDown();
                            await(release); // while it is held, the writes below trim what follows this batch
                        }
                        var records = event.getRecords();
                        lastKeySeen.set(records.get(records.size() - 1).getDynamodb().getKeys().get("k").getS());
                        return StreamsEventResponse.builder().withBatchItemFailures(new java.util.ArrayList<>()).build();
                    }, null);
            put(dynamo, "k000");
            poller.start();
            try {
                assertThat(firstBatchHeld.await(20, TimeUnit.SECONDS)).isTrue();
                for (int i = 1; i <= 100; i++) {
                    put(dynamo, String.format("k%03d", i)); // about 1 KB a record: the stream keeps some 20
                }
                release.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!"k100".equals(lastKeySeen.get()) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(lastKeySeen.get()).as("the newest record, reached past the trimmed ones").isEqualTo("k100");
                assertThat(poller.recordsDone()).as("the trimmed records were never handed over").isLessThan(101);
            } finally {
                poller.stop();
            }
        }
    }

    private static void put(DynamoDbClient dynamo, String key) {
        dynamo.putItem(p -> p.tableName("trimmed").item(Map.of("k", AttributeValue.fromS(key),
                "pad", AttributeValue.fromS("x".repeat(1000)))));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
