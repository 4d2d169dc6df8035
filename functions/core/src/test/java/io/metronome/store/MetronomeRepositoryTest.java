package io.metronome.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.MetronomeVersion;
import io.metronome.egress.EgressPolicy;
import io.metronome.engine.MetronomeService;
import io.metronome.testing.LargeDefinitions;
import io.metronome.testing.TestStack;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How definitions are kept on the real store: a large one compressed, so its items stay far from the 400 KB
 * limit and cheap to read, a small one as plain JSON text; both read back as they were sent.
 */
class MetronomeRepositoryTest {
    private static final String USER = "user-store";
    /** The API's request body limit ({@code ApiFunction.MAX_BODY_BYTES}, in the api module). */
    private static final int API_BODY_LIMIT = 256 * 1024;
    private static final String SMALL = """
            {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "input"}}], "edges": [],
             "startNodeId": "a"}""";

    private final TestStack stack = TestStack.get();
    private final MetronomeService service = new MetronomeService(new MetronomeRepository(stack.dynamo, stack.tables),
            EgressPolicy.local(null, stack.ports()), Clock.systemUTC());

    /** A repository with nothing cached, as in another container. */
    private MetronomeRepository fresh() {
        return new MetronomeRepository(stack.dynamo, stack.tables);
    }

    private static String body(String definition) {
        return "{\"name\": \"large\", \"trigger\": {\"type\": \"manual\"}, \"definition\": " + definition + "}";
    }

    private Map<String, AttributeValue> metronomeItem(String id) {
        return stack.plainDynamo.getItem(r -> r.tableName(stack.tables.metronomes())
                .key(Items.key("metronomeId", id))).item();
    }

    private Map<String, AttributeValue> versionItem(String metronomeId, String versionId) {
        return stack.plainDynamo.getItem(r -> r.tableName(stack.tables.versions())
                .key(Items.key("metronomeId", metronomeId, "versionId", versionId))).item();
    }

    /** An item's size as DynamoDB counts it: names and values, in bytes (numbers and the rest approximately). */
    private static long size(Map<String, AttributeValue> item) {
        long total = 0;
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            AttributeValue v = e.getValue();
            total += e.getKey().getBytes(StandardCharsets.UTF_8).length;
            total += v.s() != null ? v.s().getBytes(StandardCharsets.UTF_8).length
                    : v.b() != null ? v.b().asByteArray().length
                    : v.n() != null ? v.n().length() : 1;
        }
        return total;
    }

    @Test
    void aLargeDefinitionIsStoredCompressedAndReadBackAsSent() {
        // 1,000 nodes, one of them with 500 successors joined again by one node
        String definition = LargeDefinitions.fanOut(500, 498);
        JsonNode sent = Json.read(definition);
        assertThat(sent.get("nodes").size()).isEqualTo(1_000);
        assertThat(definition.getBytes(StandardCharsets.UTF_8).length)
                .isGreaterThan(MetronomeRepository.COMPRESS_ABOVE_BYTES);
        assertThat(body(definition).getBytes(StandardCharsets.UTF_8).length).as("fits the API's body limit")
                .isLessThan(API_BODY_LIMIT);

        Metronome m = service.create(USER, Json.read(body(definition))).metronome();

        MetronomeRepository reader = fresh();
        assertThat(reader.find(m.id()).orElseThrow().definition()).isEqualTo(sent);
        MetronomeVersion v = reader.version(m.id(), m.versionId());
        assertThat(v.definitionJson()).isEqualTo(sent);
        assertThat(v.definition().nodes()).hasSize(1_000);
        assertThat(v.definition().outgoing("fan")).hasSize(500);
        assertThat(reader.version(m.id(), m.versionId()).definition()).as("parsed once, then cached")
                .isSameAs(v.definition());

        for (Map<String, AttributeValue> item : java.util.List.of(versionItem(m.id(), m.versionId()), metronomeItem(m.id()))) {
            assertThat(item).containsKey(MetronomeRepository.DEFINITION_GZ).doesNotContainKey(MetronomeRepository.DEFINITION);
            assertThat(item.get(MetronomeRepository.DEFINITION_GZ).b()).isNotNull();
            assertThat(size(item)).isLessThan(100 * 1024);
        }
    }

    @Test
    void aSmallDefinitionIsStoredAsPlainText() {
        Metronome m = service.create(USER, Json.read(body(SMALL))).metronome();

        for (Map<String, AttributeValue> item : java.util.List.of(versionItem(m.id(), m.versionId()), metronomeItem(m.id()))) {
            assertThat(item).doesNotContainKey(MetronomeRepository.DEFINITION_GZ);
            assertThat(Json.read(item.get(MetronomeRepository.DEFINITION).s())).isEqualTo(Json.read(SMALL));
        }
        MetronomeRepository reader = fresh();
        assertThat(reader.find(m.id()).orElseThrow().definition()).isEqualTo(Json.read(SMALL));
        assertThat(reader.version(m.id(), m.versionId()).definitionJson()).isEqualTo(Json.read(SMALL));
    }

    @Test
    void aLargeDefinitionReplacedByASmallOneLeavesNoCompressedCopyBehind() {
        Metronome large = service.create(USER, Json.read(body(LargeDefinitions.chain(1_000)))).metronome();
        Metronome small = service.update(USER, large.id(), Json.read(body(SMALL))).metronome();

        assertThat(metronomeItem(large.id())).doesNotContainKey(MetronomeRepository.DEFINITION_GZ);
        assertThat(fresh().find(large.id()).orElseThrow().definition()).isEqualTo(Json.read(SMALL));
        assertThat(versionItem(large.id(), large.versionId())).containsKey(MetronomeRepository.DEFINITION_GZ);
        assertThat(fresh().version(large.id(), large.versionId()).definition().nodes()).hasSize(1_000);
        assertThat(fresh().version(small.id(), small.versionId()).definition().nodes()).hasSize(1);
    }
}
