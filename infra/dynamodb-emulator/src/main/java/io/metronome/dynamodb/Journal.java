package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
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
 * moment (kill -9 included) loses nothing it acknowledged; with {@code sync} each record, and each change to the
 * directory, is also forced to the disk, for power loss.
 *
 * <p>The snapshot and the journal both begin with an epoch record. A new snapshot takes the next epoch and is
 * renamed into place before the old journal is deleted; a journal whose epoch is not the snapshot's is therefore
 * one the snapshot already contains (the process died between the rename and the delete), and is ignored. A
 * lock file keeps a second emulator out of a directory in use.
 */
final class Journal implements Closeable {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path dir;
    private final Path snapshotFile;
    private final Path journalFile;
    private final boolean sync;
    private final long compactAfterBytes;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private long epoch;
    private RandomAccessFile journal;
    /** Set when a failed write could not be undone: the journal's end is unknown, so nothing more is accepted. */
    private boolean broken;
    private boolean closed;

    Journal(Path dir, boolean sync, long compactAfterBytes) {
        this.dir = dir;
        this.snapshotFile = dir.resolve("snapshot.jsonl");
        this.journalFile = dir.resolve("journal.jsonl");
        this.sync = sync;
        this.compactAfterBytes = compactAfterBytes;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                lockChannel.close();
                throw new IllegalStateException("the data directory " + dir + " is in use by another DynamoDB emulator");
            }
            lock = l;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the data directory " + dir, e);
        }
    }

    /** Feeds the snapshot's records, then the journal's if it belongs to the snapshot, to {@code apply}. */
    void load(Consumer<JsonNode> apply) {
        try {
            long[] snapshotEpoch = {0};
            replay(snapshotFile, r -> {
                if (isEpoch(r)) {
                    snapshotEpoch[0] = r.get("epoch").asLong();
                } else {
                    apply.accept(r);
                }
            }, false);
            epoch = snapshotEpoch[0];
            if (Files.exists(journalFile) && epochOf(journalFile) == epoch) {
                replay(journalFile, r -> {
                    if (!isEpoch(r)) {
                        apply.accept(r);
                    }
                }, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the data directory " + dir, e);
        }
    }

    private static boolean isEpoch(JsonNode r) {
        return "Epoch".equals(r.path("op").asText());
    }

    /** The epoch in a file's first record (-1 when there is none): read from its first line only. */
    private static long epochOf(Path file) throws IOException {
        try (java.io.BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = r.readLine();
            if (first == null || first.isBlank()) {
                return -1;
            }
            JsonNode record = MAPPER.readTree(first);
            return isEpoch(record) ? record.get("epoch").asLong() : -1;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return -1; // a torn first line: the journal never got a record written whole
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
            if (end == bytes.length && tornTailAllowed) {
                // The process died while writing this record: it was never acknowledged.
                return;
            }
            String line = new String(bytes, start, end - start, StandardCharsets.UTF_8);
            if (!line.isBlank()) {
                apply.accept(MAPPER.readTree(line));
            }
            start = end + 1;
        }
    }

    /** Appends a record; when this returns, the record survives the process (and with sync, the machine). */
    void append(JsonNode record) {
        if (closed || broken) {
            throw new IllegalStateException(closed ? "the emulator is stopped" : "the journal could not be written "
                    + "earlier; restart the emulator");
        }
        try {
            if (journal == null) {
                boolean created = !Files.exists(journalFile);
                journal = new RandomAccessFile(journalFile.toFile(), "rw");
                journal.seek(journal.length());
                if (journal.length() == 0) {
                    write(epochRecord());
                }
                if (created && sync) {
                    forceDirectory();
                }
            }
            write(record);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the journal", e);
        }
    }

    /** Writes one line; a failed write is cut back off, so a later record never follows a torn one. */
    private void write(JsonNode record) throws IOException {
        byte[] line = line(record);
        long end = journal.length();
        try {
            journal.write(line);
            if (sync) {
                journal.getFD().sync();
            }
        } catch (IOException e) {
            try {
                journal.setLength(end);
                journal.seek(end);
            } catch (IOException undo) {
                broken = true;
            }
            throw e;
        }
    }

    private static byte[] line(JsonNode record) throws IOException {
        byte[] json = MAPPER.writeValueAsBytes(record);
        byte[] line = new byte[json.length + 1];
        System.arraycopy(json, 0, line, 0, json.length);
        line[json.length] = '\n';
        return line;
    }

    private ObjectNode epochRecord() {
        return Codec.JSON.objectNode().put("op", "Epoch").put("epoch", epoch);
    }

    boolean wantsCompaction() {
        try {
            return journal != null && journal.length() > compactAfterBytes;
        } catch (IOException e) {
            return false;
        }
    }

    /** Replaces the snapshot with these records under the next epoch, and starts an empty journal. */
    void snapshot(List<JsonNode> records) {
        Path tmp = dir.resolve("snapshot.jsonl.tmp");
        long next = epoch + 1;
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                out.write(line(Codec.JSON.objectNode().put("op", "Epoch").put("epoch", next)));
                for (JsonNode r : records) {
                    out.write(line(r));
                }
            }
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, snapshotFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory();
            epoch = next;
            if (journal != null) {
                journal.close();
                journal = null;
            }
            Files.deleteIfExists(journalFile);
            forceDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a snapshot", e);
        }
    }

    private void forceDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some systems cannot open a directory for reading; the rename is still atomic there.
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (journal != null) {
                journal.close();
            }
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // closing at shutdown
        }
    }
}
