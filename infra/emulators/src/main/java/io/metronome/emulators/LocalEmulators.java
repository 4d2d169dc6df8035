package io.metronome.emulators;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Amazon DynamoDB Local and ElasticMQ (an SQS-compatible server), started inside this JVM on loopback.
 * Real servers speaking the real wire protocols: code under test talks to them through the ordinary AWS SDK
 * clients, pointed here by endpoint override.
 */
public final class LocalEmulators implements AutoCloseable {

    private static LocalEmulators shared;

    private final DynamoDBProxyServer dynamo;
    private final SQSRestServer sqs;
    private final URI dynamoEndpoint;
    private final URI sqsEndpoint;

    private LocalEmulators(DynamoDBProxyServer dynamo, int dynamoPort, SQSRestServer sqs, int sqsPort) {
        this.dynamo = dynamo;
        this.sqs = sqs;
        this.dynamoEndpoint = URI.create("http://127.0.0.1:" + dynamoPort);
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
     * @param dataDir where DynamoDB Local keeps its database file, or null to keep everything in memory
     * @param dynamoPort a port, or 0 for any free one
     * @param sqsPort a port, or 0 for any free one
     */
    public static LocalEmulators start(Path dataDir, int dynamoPort, int sqsPort) {
        int dPort = dynamoPort == 0 ? freePort() : dynamoPort;
        int qPort = sqsPort == 0 ? freePort() : sqsPort;
        DynamoDBProxyServer dynamo = startDynamo(dataDir, dPort);
        SQSRestServer sqs = SQSRestServerBuilder
                .withPort(qPort)
                .withInterface("127.0.0.1")
                .withServerAddress(new NodeAddress("http", "127.0.0.1", qPort, ""))
                .start();
        sqs.waitUntilStarted();
        return new LocalEmulators(dynamo, dPort, sqs, qPort);
    }

    public URI dynamoEndpoint() {
        return dynamoEndpoint;
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
        try {
            dynamo.stop();
        } catch (Exception ignored) {
            // already stopping
        }
    }

    private static DynamoDBProxyServer startDynamo(Path dataDir, int port) {
        System.setProperty("sqlite4java.library.path", extractNatives().toString());
        List<String> args = new ArrayList<>(List.of("-port", Integer.toString(port), "-sharedDb", "-disableTelemetry"));
        if (dataDir == null) {
            args.add("-inMemory");
        } else {
            try {
                Files.createDirectories(dataDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            args.add("-dbPath");
            args.add(dataDir.toAbsolutePath().toString());
        }
        try {
            DynamoDBProxyServer server = ServerRunner.createServerFromCommandLineArgs(args.toArray(String[]::new));
            bindToLoopback(server);
            server.start();
            return server;
        } catch (Exception e) {
            throw new IllegalStateException("DynamoDB Local did not start on port " + port, e);
        }
    }

    /**
     * DynamoDB Local has no option for the interface it listens on and takes them all, which would put a
     * developer's data on their network. Its embedded Jetty server is told to listen on loopback only, before it
     * starts. (Pinned by a test: a DynamoDB Local upgrade that changes this fails the build instead of quietly
     * listening everywhere.)
     */
    private static void bindToLoopback(DynamoDBProxyServer proxy) {
        try {
            java.lang.reflect.Field field = DynamoDBProxyServer.class.getDeclaredField("server");
            field.setAccessible(true);
            org.eclipse.jetty.server.Server jetty = (org.eclipse.jetty.server.Server) field.get(proxy);
            for (org.eclipse.jetty.server.Connector connector : jetty.getConnectors()) {
                if (connector instanceof org.eclipse.jetty.server.ServerConnector serverConnector) {
                    serverConnector.setHost("127.0.0.1");
                }
            }
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot bind DynamoDB Local to 127.0.0.1 (has its server changed?)", e);
        }
    }

    /** The sqlite4java native libraries are bundled in this jar at build time; sqlite4java loads them from a directory. */
    private static Path extractNatives() {
        try {
            Path dir = Files.createTempDirectory("metronome-sqlite4java");
            dir.toFile().deleteOnExit();
            for (String name : List.of("libsqlite4java-linux-amd64.so", "libsqlite4java-linux-aarch64.so",
                    "libsqlite4java-osx.dylib", "libsqlite4java-osx-arm64.dylib", "sqlite4java-win32-x64.dll")) {
                try (InputStream in = LocalEmulators.class.getResourceAsStream("native/" + name)) {
                    if (in != null) {
                        Path target = dir.resolve(name);
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                        target.toFile().deleteOnExit();
                    }
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("could not unpack sqlite4java's native library", e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
