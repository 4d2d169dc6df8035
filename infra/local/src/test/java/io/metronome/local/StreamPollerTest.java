package io.metronome.local;

import com.amazonaws.services.lambda.runtime.events.StreamsEventResponse;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.Record;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Where the local event source mapping goes on after an answer, as Lambda does. */
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
}
