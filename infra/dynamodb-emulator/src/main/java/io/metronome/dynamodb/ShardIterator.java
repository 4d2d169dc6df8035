package io.metronome.dynamodb;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32;

/**
 * A position in a shard, handed to the client and back: the records after ordinal {@code after} are the next to
 * read. It carries its own state (so it outlives a restart of the emulator), in DynamoDB's shape: the stream ARN,
 * a version, then an opaque part, here the shard, the position, when it was issued and a checksum that refuses a
 * mangled one.
 */
record ShardIterator(String streamArn, String shardId, long after, long issuedMillis) {
    /** DynamoDB's iterators expire 15 minutes after they are returned. */
    static final long LIFETIME_MILLIS = 15 * 60 * 1000;
    private static final String VERSION = "1";

    String encode() {
        String body = shardId + "|" + after + "|" + issuedMillis;
        String opaque = body + "|" + Long.toHexString(checksum(streamArn, body));
        return streamArn + "|" + VERSION + "|"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(opaque.getBytes(StandardCharsets.UTF_8));
    }

    /** The iterator a string holds, or a ValidationException when it is none this emulator issued. */
    static ShardIterator decode(String text) {
        String[] parts = text.split("\\|", 3);
        if (parts.length == 3 && parts[1].equals(VERSION)) {
            try {
                String opaque = new String(Base64.getUrlDecoder().decode(parts[2]), StandardCharsets.UTF_8);
                int sum = opaque.lastIndexOf('|');
                String body = sum < 0 ? "" : opaque.substring(0, sum);
                String[] fields = body.split("\\|");
                if (fields.length == 3 && opaque.substring(sum + 1).equals(Long.toHexString(checksum(parts[0], body)))) {
                    return new ShardIterator(parts[0], fields[0], Long.parseLong(fields[1]), Long.parseLong(fields[2]));
                }
            } catch (IllegalArgumentException e) {
                // not base64, or not numbers: refused below
            }
        }
        throw DynamoDbException.validation("Invalid ShardIterator: it was not returned by GetShardIterator or "
                + "GetRecords of this endpoint");
    }

    boolean isExpired(long nowMillis) {
        return nowMillis - issuedMillis > LIFETIME_MILLIS;
    }

    private static long checksum(String arn, String body) {
        CRC32 crc = new CRC32();
        crc.update((arn + "|" + body).getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }
}
