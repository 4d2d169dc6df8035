package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unit tests of the pure parts of streams: sequence numbers, the iterator's encoding, a shard's positions. */
class StreamTest {
    private static final String ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/runs/stream/2030-01-01T00:00:00.000";
    private static final KeySchema KEY = new KeySchema("pk", "S", null, null);

    private static Stream stream(long start) {
        ObjectNode meta = Codec.JSON.objectNode().put("arn", ARN).put("label", "2030-01-01T00:00:00.000")
                .put("table", "runs").put("tableId", "id").put("viewType", "NEW_IMAGE").put("created", 0L)
                .put("shardId", "shardId-00000000000000000000-00000000").put("start", start);
        meta.putArray("keySchema").addObject().put("AttributeName", "pk").put("KeyType", "HASH");
        return Stream.fromMeta(meta);
    }

    private static StreamRecord change(long ordinal, long atMillis, String pk, int bytes) {
        Map<String, Value> item = Map.of("pk", new Value.S(pk), "v", new Value.S("x".repeat(bytes)));
        return StreamRecord.of("NEW_IMAGE", KEY, new PrimaryKey(new Value.S(pk), null), null, item, ordinal, atMillis,
                "e" + ordinal, false);
    }

    @Test
    void sequenceNumbersAre21DigitsWhoseStringAndNumericOrdersAgree() {
        List<Long> ordinals = List.of(0L, 1L, 9L, 10L, 99_999L, Long.MAX_VALUE);
        for (int i = 0; i < ordinals.size(); i++) {
            String s = SequenceNumbers.format(ordinals.get(i));
            assertThat(s).matches("1[0-9]{20}");
            assertThat(SequenceNumbers.wellFormed(s)).isTrue();
            assertThat(SequenceNumbers.ordinal(s)).isEqualTo(ordinals.get(i));
            if (i > 0) {
                String before = SequenceNumbers.format(ordinals.get(i - 1));
                assertThat(s.compareTo(before)).isPositive();
                assertThat(new BigInteger(s)).isGreaterThan(new BigInteger(before));
            }
        }
        assertThat(SequenceNumbers.ordinal("099999999999999999999")).isEqualTo(-1);
        assertThat(SequenceNumbers.ordinal("9".repeat(40))).isEqualTo(Long.MAX_VALUE);
        assertThat(SequenceNumbers.wellFormed("1".repeat(20))).isFalse();
        assertThat(SequenceNumbers.wellFormed("1".repeat(41))).isFalse();
        assertThat(SequenceNumbers.wellFormed("1".repeat(20) + "a")).isFalse();
    }

    @Test
    void anIteratorComesBackAsItWasAndRefusesChanges() {
        ShardIterator it = new ShardIterator(ARN, "shardId-00000000000000000000-00000000", 42, 1_000);
        String text = it.encode();
        assertThat(text).startsWith(ARN + "|1|").hasSizeLessThanOrEqualTo(2048);
        assertThat(ShardIterator.decode(text)).isEqualTo(it);
        // The same opaque part under another stream's ARN, or another position, is not an iterator it issued.
        String otherArn = ARN.replace("runs", "nurs") + text.substring(ARN.length());
        assertThatThrownBy(() -> ShardIterator.decode(otherArn)).hasMessageContaining("Invalid ShardIterator");
        String opaque = new String(Base64.getUrlDecoder().decode(text.substring(ARN.length() + 3)), StandardCharsets.UTF_8);
        String moved = ARN + "|1|" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(opaque.replace("|42|", "|41|").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ShardIterator.decode(moved)).hasMessageContaining("Invalid ShardIterator");
        for (String junk : List.of("", "x", "a|1|", "a|2|Zm9v", ARN + "|1|!!!")) {
            assertThatThrownBy(() -> ShardIterator.decode(junk)).as(junk).hasMessageContaining("Invalid ShardIterator");
        }
        assertThat(it.isExpired(1_000 + ShardIterator.LIFETIME_MILLIS)).isFalse();
        assertThat(it.isExpired(1_000 + ShardIterator.LIFETIME_MILLIS + 1)).isTrue();
    }

    @Test
    void theTrimHorizonFollowsTheClockWithoutChangingTheShard() {
        Stream s = stream(10);
        assertThat(s.trimHorizon(0)).isEqualTo(9);   // nothing trimmed: everything from the start is readable
        assertThat(s.lastOrdinal()).isEqualTo(10);
        s.append(change(11, 1_000, "a", 1), Long.MAX_VALUE);
        s.append(change(14, 2_000, "b", 1), Long.MAX_VALUE);
        s.append(change(15, 2_000, "c", 1), Long.MAX_VALUE);
        assertThat(s.trimHorizon(1_000)).isEqualTo(9);
        assertThat(s.trimHorizon(1_001)).isEqualTo(11);
        assertThat(s.trimHorizon(2_001)).isEqualTo(15);
        assertThat(s.records()).hasSize(3);
        assertThat(s.read(11, 10, Long.MAX_VALUE)).extracting(StreamRecord::ordinal).containsExactly(14L, 15L);
        assertThat(s.read(12, 10, Long.MAX_VALUE)).extracting(StreamRecord::ordinal).containsExactly(14L, 15L);

        s.trimBefore(1_001);
        assertThat(s.records()).extracting(StreamRecord::ordinal).containsExactly(14L, 15L);
        assertThat(s.trimHorizon(0)).isEqualTo(11);
        s.trimBefore(3_000);
        assertThat(s.records()).isEmpty();
        assertThat(s.trimHorizon(0)).isEqualTo(15);
        assertThat(s.lastOrdinal()).isEqualTo(15); // the newest ordinal is known after its record is gone
        s.close(5_000);
        assertThat(s.end()).isEqualTo(15L);
        assertThat(s.isExpired(5_000 + Stream.RETENTION_MILLIS - 1)).isFalse();
        assertThat(s.isExpired(5_000 + Stream.RETENTION_MILLIS)).isTrue();
    }

    @Test
    void aReadStopsAtItsLimitAndItsBytesButReturnsOneRecordAtLeast() {
        Stream s = stream(0);
        for (int i = 1; i <= 5; i++) {
            s.append(change(i, i, "k" + i, 100), Long.MAX_VALUE);
        }
        long size = s.records().get(0).sizeBytes();
        assertThat(s.read(0, 2, Long.MAX_VALUE)).hasSize(2);
        assertThat(s.read(0, 10, 3 * size)).hasSize(3);
        assertThat(s.read(0, 10, 3 * size - 1)).hasSize(2);
        assertThat(s.read(0, 10, 1)).hasSize(1);
        assertThat(s.read(5, 10, Long.MAX_VALUE)).isEmpty();
        assertThat(s.hasRecordsAfter(4)).isTrue();
        assertThat(s.hasRecordsAfter(5)).isFalse();
    }

    @Test
    void overItsBudgetAShardDropsItsOldestRecordsAndKeepsTheNewest() {
        Stream s = stream(0);
        long weight = change(1, 0, "k1", 10).sizeBytes() + Stream.RECORD_OVERHEAD_BYTES;
        for (int i = 1; i <= 5; i++) {
            s.append(change(i, 0, "k" + i, 10), 2 * weight);
        }
        assertThat(s.records()).extracting(StreamRecord::ordinal).containsExactly(4L, 5L);
        assertThat(s.trimHorizon(0)).isEqualTo(3);
        s.append(change(6, 0, "big", 1_000), 2 * weight);
        assertThat(s.records()).extracting(StreamRecord::ordinal).containsExactly(6L); // alone over budget, still kept
    }

    @Test
    void aRecordKeepsTheImagesItsViewTypeAsksFor() {
        PrimaryKey k = new PrimaryKey(new Value.S("a"), null);
        Map<String, Value> before = Map.of("pk", new Value.S("a"), "v", new Value.S("1"));
        Map<String, Value> after = Map.of("pk", new Value.S("a"), "v", new Value.S("2"));
        assertThat(StreamRecord.of("KEYS_ONLY", KEY, k, before, after, 1, 0, "e", false))
                .satisfies(r -> assertThat(r.oldImage()).isNull()).satisfies(r -> assertThat(r.newImage()).isNull());
        assertThat(StreamRecord.of("OLD_IMAGE", KEY, k, before, after, 1, 0, "e", false).oldImage()).isEqualTo(before);
        assertThat(StreamRecord.of("NEW_IMAGE", KEY, k, before, after, 1, 0, "e", false).newImage()).isEqualTo(after);
        assertThat(StreamRecord.of("NEW_AND_OLD_IMAGES", KEY, k, before, null, 1, 0, "e", true).eventName()).isEqualTo("REMOVE");
        assertThat(StreamRecord.of("NEW_AND_OLD_IMAGES", KEY, k, before, Map.copyOf(before), 1, 0, "e", false)).isNull();
        assertThat(StreamRecord.of("NEW_AND_OLD_IMAGES", KEY, k, null, null, 1, 0, "e", false)).isNull();
        StreamRecord r = StreamRecord.of("NEW_AND_OLD_IMAGES", KEY, k, null, after, 7, 1_999, "e", true);
        assertThat(StreamRecord.fromSnapshot(r.toSnapshot())).isEqualTo(r);
        assertThat(r.toJson("NEW_AND_OLD_IMAGES").get("dynamodb").get("ApproximateCreationDateTime").asLong()).isEqualTo(1);
    }
}
