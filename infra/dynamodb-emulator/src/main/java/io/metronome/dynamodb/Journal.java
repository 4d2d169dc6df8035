package io.metronome.dynamodb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;

/**
 * Durability for a data directory: a snapshot of every table, and a journal of every change since, one JSON record
 * a line. A change is written to the journal before it is applied or acknowledged, so a process killed at any
 * moment (kill -9 included) loses nothing it acknowledged; with {@code sync} each record is also forced to the
 * disk, for power loss. Records are idempotent (a write carries the whole item), so replaying a journal over a
 * snapshot that already holds part of it gives the same tables.
 */
final class Journal implements Closeable {
    static final long COMPACT_AFTER_BYTES = 64L * 1024 * 1024;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path snapshotFile;
    private final Path journalFile;
    private final boolean sync;
    private FileChannel channel;

    Journal(Path dir, boolean sync) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dir, e);
        }
        this.snapshotFile = dir.resolve("snapshot.jsonl");
        this.journalFile = dir.resolve("journal.jsonl");
        this.sync = sync;
    }

    /** Feeds the snapshot's records, then the journal's, to {@code apply}; a torn last journal line is dropped. */
    void load(Consumer<JsonNode> apply) {
        try {
            replay(snapshotFile, apply, false);
            replay(journalFile, apply, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the data directory", e);
        }
    }

    private static void replay(Path file, Consumer<JsonNode> apply, boolean tornTailAllowed) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        byte[] bytes = Files.readAllBytes(file);
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            boolean complete = end < bytes.length;
            String line = new String(bytes, start, end - start, StandardCharsets.UTF_8);
            if (!complete && tornTailAllowed) {
                // The process died while writing this record: it was never acknowledged.
                return;
            }
            if (!line.isBlank()) {
                apply.accept(MAPPER.readTree(line));
            }
            start = end + 1;
        }
    }

    void append(JsonNode record) {
        try {
            if (channel == null) {
                channel = FileChannel.open(journalFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
            }
            ByteBuffer buffer = ByteBuffer.wrap((MAPPER.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            if (sync) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the journal", e);
        }
    }

    boolean wantsCompaction() {
        try {
            return channel != null && channel.size() > COMPACT_AFTER_BYTES;
        } catch (IOException e) {
            return false;
        }
    }

    /** Replaces the snapshot with these records (atomically, by rename) and starts an empty journal. */
    void snapshot(List<JsonNode> records) {
        Path tmp = snapshotFile.resolveSibling("snapshot.jsonl.tmp");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (JsonNode r : records) {
                    w.write(MAPPER.writeValueAsString(r));
                    w.write('\n');
                }
            }
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, snapshotFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (channel != null) {
                channel.close();
                channel = null;
            }
            Files.deleteIfExists(journalFile);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a snapshot", e);
        }
    }

    @Override
    public void close() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // closing at shutdown
        }
    }
}
