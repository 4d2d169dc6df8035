package io.metronome.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A DynamoDB emulator: DynamoDB's JSON 1.0 protocol on 127.0.0.1, so the AWS SDKs and CLI talk to it unchanged
 * (any credentials, any region). In memory, or journalled to a data directory so that tables survive a restart.
 *
 * <pre>
 * try (DynamoDbEmulator dynamo = DynamoDbEmulator.builder().build()) {
 *     DynamoDbClient client = DynamoDbClient.builder().endpointOverride(dynamo.endpoint())...
 * }
 * </pre>
 *
 * Standalone: {@code java -jar metronome-dynamodb-emulator-standalone.jar --port 8000 [--data-dir DIR] [--sync]}.
 */
public final class DynamoDbEmulator implements AutoCloseable {
    static final String REGION = "us-east-1";
    static final String ACCOUNT = "000000000000";

    private final Database db;
    private final HttpFrontend http;
    private final ScheduledExecutorService ttlSweeper;

    private DynamoDbEmulator(Builder b) {
        long started = System.nanoTime();
        this.db = new Database(b.dataDir, b.sync, b.compactAfterBytes, b.clock, b.streamBudgetBytes);
        ItemOperations items = new ItemOperations(db);
        QueryScan queries = new QueryScan(db);
        BatchOperations batches = new BatchOperations(db);
        TransactionOperations transactions = new TransactionOperations(db);
        TableOperations tables = new TableOperations(db);
        StreamOperations streams = new StreamOperations(db);
        Map<String, Function<JsonNode, ObjectNode>> operations = new LinkedHashMap<>();
        String d = HttpFrontend.DYNAMODB;
        operations.put(d + "CreateTable", tables::createTable);
        operations.put(d + "DeleteTable", tables::deleteTable);
        operations.put(d + "DescribeTable", tables::describeTable);
        operations.put(d + "ListTables", tables::listTables);
        operations.put(d + "UpdateTable", tables::updateTable);
        operations.put(d + "UpdateTimeToLive", tables::updateTimeToLive);
        operations.put(d + "DescribeTimeToLive", tables::describeTimeToLive);
        operations.put(d + "GetItem", items::getItem);
        operations.put(d + "PutItem", items::putItem);
        operations.put(d + "UpdateItem", items::updateItem);
        operations.put(d + "DeleteItem", items::deleteItem);
        operations.put(d + "Query", queries::query);
        operations.put(d + "Scan", queries::scan);
        operations.put(d + "BatchGetItem", batches::batchGetItem);
        operations.put(d + "BatchWriteItem", batches::batchWriteItem);
        operations.put(d + "TransactWriteItems", transactions::transactWriteItems);
        operations.put(d + "TransactGetItems", transactions::transactGetItems);
        String st = HttpFrontend.STREAMS;
        operations.put(st + "ListStreams", streams::listStreams);
        operations.put(st + "DescribeStream", streams::describeStream);
        operations.put(st + "GetShardIterator", streams::getShardIterator);
        operations.put(st + "GetRecords", streams::getRecords);
        try {
            this.http = new HttpFrontend(b.port, operations);
        } catch (IOException e) {
            db.close();
            throw new UncheckedIOException("the DynamoDB emulator could not listen on 127.0.0.1:" + b.port, e);
        }
        this.ttlSweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dynamodb-emulator-ttl");
            t.setDaemon(true);
            return t;
        });
        long every = b.ttlSweepInterval.toMillis();
        ttlSweeper.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
        this.startMillis = (System.nanoTime() - started) / 1e6;
    }

    private final double startMillis;

    public static Builder builder() {
        return new Builder();
    }

    /** In memory, on a free port. */
    public static DynamoDbEmulator start() {
        return builder().build();
    }

    public static final class Builder {
        private int port;
        private Path dataDir;
        private boolean sync;
        private Clock clock = Clock.systemUTC();
        private Duration ttlSweepInterval = Duration.ofSeconds(1);
        private long compactAfterBytes = 64L * 1024 * 1024;
        private long streamBudgetBytes = 64L * 1024 * 1024;

        /** A port on 127.0.0.1; 0 (the default) for a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Keeps the tables in this directory (a snapshot and a journal); null (the default) keeps them in memory. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Forces each journal record to the disk before acknowledging it (survives power loss, not only a crash). */
        public Builder sync(boolean sync) {
            this.sync = sync;
            return this;
        }

        /** The clock TTL expiry is judged by. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * How often expired items are looked for (DynamoDB takes up to days; the default here is a second), and
         * stream records past their 24 hours freed.
         */
        public Builder ttlSweepInterval(Duration interval) {
            this.ttlSweepInterval = interval;
            return this;
        }

        /**
         * The most a stream keeps, in bytes (each record's SizeBytes plus 100): past it the oldest records are
         * trimmed before their 24 hours, as if they had expired. Default 64 MiB a stream.
         */
        public Builder maxStreamBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxStreamBytes must be positive: " + bytes);
            }
            this.streamBudgetBytes = bytes;
            return this;
        }

        /** The journal's size past which it is folded into a new snapshot (tests make it small). */
        Builder compactAfterBytes(long bytes) {
            this.compactAfterBytes = bytes;
            return this;
        }

        public DynamoDbEmulator build() {
            return new DynamoDbEmulator(this);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public int port() {
        return http.port();
    }

    /** How long starting took (loading a data directory included), in milliseconds. */
    public double startMillis() {
        return startMillis;
    }

    /** Deletes every item whose TTL has passed now, instead of at the next sweep. Returns how many. */
    public int deleteExpiredItems() {
        return db.deleteExpiredItems();
    }

    /** Frees the memory of stream records past their 24 hours now, instead of at the next sweep. */
    public void trimStreams() {
        db.trimStreams();
    }

    private void sweepQuietly() {
        try {
            db.deleteExpiredItems();
        } catch (RuntimeException e) {
            System.err.println("[dynamodb-emulator] TTL sweep failed: " + e);
        }
        try {
            db.trimStreams();
        } catch (RuntimeException e) {
            System.err.println("[dynamodb-emulator] stream trim failed: " + e);
        }
    }

    /** Stops taking requests, lets those under way and a sweep under way finish, then closes the data directory. */
    @Override
    public void close() {
        http.stop();
        ttlSweeper.shutdown();
        try {
            ttlSweeper.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        db.close();
    }

    public static void main(String[] args) {
        Builder b = builder().port(8000);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> b.port(Integer.parseInt(value(args, ++i, "--port")));
                case "--data-dir" -> b.dataDir(Path.of(value(args, ++i, "--data-dir")));
                case "--sync" -> b.sync(true);
                case "--help", "-h" -> {
                    System.out.println("usage: java -jar metronome-dynamodb-emulator-standalone.jar "
                            + "[--port N (8000; 0 for any)] [--data-dir DIR (in memory without)] [--sync]");
                    return;
                }
                default -> {
                    System.err.println("unknown option " + args[i] + " (try --help)");
                    System.exit(2);
                }
            }
        }
        DynamoDbEmulator emulator = b.build();
        Runtime.getRuntime().addShutdownHook(new Thread(emulator::close, "dynamodb-emulator-stop"));
        System.out.println("DynamoDB emulator on " + emulator.endpoint() + " (started in "
                + String.format("%.0f", emulator.startMillis()) + " ms)");
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println(option + " needs a value");
            System.exit(2);
        }
        return args[i];
    }
}
