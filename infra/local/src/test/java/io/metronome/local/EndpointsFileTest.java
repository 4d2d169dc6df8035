package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EndpointsFileTest {
    @Test
    void itSaysWhereTheStackIsAndIsRemovedOnlyByTheProcessThatWroteIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data").resolve(EndpointsFile.NAME);
        EndpointsFile.write(file, 3000, URI.create("http://127.0.0.1:8000"), URI.create("http://127.0.0.1:9324"),
                Map.of("ApiKeysTable", "ApiKeysTable"), Map.of("NodeQueue", "http://127.0.0.1:9324/000000000000/NodeQueue"));

        JsonNode o = Json.read(Files.readString(file));
        assertThat(o.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        assertThat(o.get("api").asText()).isEqualTo("http://127.0.0.1:3000");
        assertThat(o.get("dynamodb").asText()).isEqualTo("http://127.0.0.1:8000");
        assertThat(o.at("/tables/ApiKeysTable").asText()).isEqualTo("ApiKeysTable");
        assertThat(o.at("/queues/NodeQueue").asText()).endsWith("/NodeQueue");
        try (var listing = Files.list(file.getParent())) {
            assertThat(listing).as("no partial file left").containsExactly(file);
        }

        // Another stack's file (started since, in the same directory) is not this one's to remove.
        String other = Files.readString(file).replaceFirst("\"pid\" : \\d+", "\"pid\" : 1");
        Files.writeString(file, other);
        EndpointsFile.remove(file);
        assertThat(file).exists();

        EndpointsFile.write(file, 3000, URI.create("http://127.0.0.1:8000"), URI.create("http://127.0.0.1:9324"), Map.of(), Map.of());
        EndpointsFile.remove(file);
        assertThat(file).doesNotExist();
        assertThat(file.getParent()).as("an empty directory goes too").doesNotExist();
    }
}
