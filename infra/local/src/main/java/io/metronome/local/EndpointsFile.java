package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Where a running local stack is, for tools outside its process ({@code ./metronome --local}): its process id, the
 * API's URL, the emulators' endpoints and region, and the tables and queues it made, by their logical ids in the
 * template. For example:
 * <pre>
 * {"pid": 4242, "api": "http://127.0.0.1:3000", "region": "us-east-1",
 *  "dynamodb": "http://127.0.0.1:40001", "sqs": "http://127.0.0.1:40002",
 *  "tables": {"ApiKeysTable": "ApiKeysTable", "RunsTable": "RunsTable", ...},
 *  "queues": {"NodeQueue": "http://127.0.0.1:40002/000000000000/NodeQueue", ...}}
 * </pre>
 * Written whole or not at all, and removed when the stack stops; a file left by a stack that was killed names a
 * process that is gone, which is how a reader tells.
 */
public final class EndpointsFile {
    public static final String NAME = "endpoints.json";

    private EndpointsFile() {
    }

    static void write(Path file, int apiPort, URI dynamo, URI sqs, Map<String, String> tables, Map<String, String> queues)
            throws IOException {
        ObjectNode o = Json.object();
        o.put("pid", ProcessHandle.current().pid());
        o.put("api", "http://127.0.0.1:" + apiPort);
        o.put("region", "us-east-1");
        o.put("dynamodb", dynamo.toString());
        o.put("sqs", sqs.toString());
        ObjectNode t = o.putObject("tables");
        tables.forEach(t::put);
        ObjectNode q = o.putObject("queues");
        queues.forEach(q::put);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path partial = Files.createTempFile(dir, NAME, ".partial");
        try {
            Files.writeString(partial, o.toPrettyString() + "\n");
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * Removes the file if this process wrote it (another stack may have written it since), and its directory if
     * that is left empty (an in-memory stack's {@code .metronome/}).
     */
    static void remove(Path file) {
        try {
            JsonNode o = Json.read(Files.readString(file));
            if (o.path("pid").asLong() == ProcessHandle.current().pid()) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(file.toAbsolutePath().getParent());
            }
        } catch (IOException | RuntimeException goneOrNotEmpty) {
            // nothing to remove, not ours to judge, or a directory that holds more
        }
    }
}
