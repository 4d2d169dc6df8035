package io.metronome.emulators;

import io.metronome.dynamodb.DynamoDbEmulator;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The project's DynamoDB emulator and ElasticMQ (an SQS-compatible server), started inside this JVM on loopback.
 * Real servers speaking the real wire protocols: code under test talks to them through the ordinary AWS SDK
 * clients, pointed here by endpoint override.
 */
public final class LocalEmulators implements AutoCloseable {
    /** The most each table's stream keeps locally before trimming its oldest records early. */
    static final long LOCAL_STREAM_BYTES = 512L * 1024 * 1024;


    /** Where DynamoDB Local, which this project used before, kept its data. */
    private static final String DYNAMODB_LOCAL_FILE = "shared-local-instance.db";

    private static LocalEmulators shared;

    private final DynamoDbEmulator dynamo;
    private final SQSRestServer sqs;
    private final URI sqsEndpoint;

    private LocalEmulators(DynamoDbEmulator dynamo, SQSRestServer sqs, int sqsPort) {
        this.dynamo = dynamo;
        this.sqs = sqs;
        this.sqsEndpoint = URI.create("http://127.0.0.1:" + sqsPort);
    }

    /** One pair of emulators per JVM, in memory, stopped when the JVM exits. */
    public static synchronized LocalEmulators shared() {
        if (shared == null) {
            shared = start(null, 0, 0);
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "emulators-stop"));
        }
        return shared;
    }

    /**
     * Starts both emulators.
     *
     * @param dataDir where the DynamoDB emulator keeps its snapshot and journal, or null to keep everything in memory
     * @param dynamoPort a port, or 0 for any free one
     * @param sqsPort a port, or 0 for any free one
     */
    public static LocalEmulators start(Path dataDir, int dynamoPort, int sqsPort) {
        if (dataDir != null && Files.exists(dataDir.resolve(DYNAMODB_LOCAL_FILE))) {
            System.err.println("[metronome] " + dataDir.resolve(DYNAMODB_LOCAL_FILE) + " holds data from DynamoDB Local, "
                    + "which is no longer used: the DynamoDB emulator does not read it, so what it held is not here. "
                    + "Delete the file to silence this.");
        }
        // A map of thousands of items writes its run item tens of thousands of times, each record holding both images:
        // room for what a stream reader may lag behind on a laptop (the emulator keeps a stream in memory).
        DynamoDbEmulator dynamo = DynamoDbEmulator.builder().port(dynamoPort).dataDir(dataDir)
                .maxStreamBytes(LOCAL_STREAM_BYTES).build();
        try {
            int qPort = sqsPort == 0 ? freePort() : sqsPort;
            SQSRestServer sqs = SQSRestServerBuilder
                    .withPort(qPort)
                    .withInterface("127.0.0.1")
                    .withServerAddress(new NodeAddress("http", "127.0.0.1", qPort, ""))
                    .start();
            sqs.waitUntilStarted();
            return new LocalEmulators(dynamo, sqs, qPort);
        } catch (RuntimeException e) {
            dynamo.close();
            throw e;
        }
    }

    public URI dynamoEndpoint() {
        return dynamo.endpoint();
    }

    public URI sqsEndpoint() {
        return sqsEndpoint;
    }

    @Override
    public void close() {
        try {
            sqs.stopAndWait();
        } catch (RuntimeException ignored) {
            // already stopping
        }
        dynamo.close();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
