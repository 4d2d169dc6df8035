package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every DynamoDB type, from the Lambda events model to the SDK's and back. */
class StreamImagesTest {
    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static software.amazon.awssdk.services.dynamodb.model.AttributeValue av(java.util.function.Consumer<software.amazon.awssdk.services.dynamodb.model.AttributeValue.Builder> value) {
        return software.amazon.awssdk.services.dynamodb.model.AttributeValue.builder().applyMutation(value).build();
    }

    private static AttributeValue lambda() {
        return new AttributeValue();
    }

    @Test
    void eachScalarTypeBecomesTheSameSdkValue() {
        assertThat(StreamImages.toSdk("a", new AttributeValue("text")))
                .isEqualTo(software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("text"));
        assertThat(StreamImages.toSdk("a", lambda().withN("-12.50")).n()).isEqualTo("-12.50");
        ByteBuffer b = bytes("raw");
        assertThat(StreamImages.toSdk("a", lambda().withB(b)).b()).isEqualTo(SdkBytes.fromUtf8String("raw"));
        assertThat(b.remaining()).as("the record's buffer is left as it was").isEqualTo(3);
        assertThat(StreamImages.toSdk("a", lambda().withBOOL(false)).bool()).isFalse();
        assertThat(StreamImages.toSdk("a", lambda().withBOOL(true)).bool()).isTrue();
        assertThat(StreamImages.toSdk("a", lambda().withNULL(true)).nul()).isTrue();
        assertThat(StreamImages.toSdk("a", lambda().withN("1")).type()).isEqualTo(software.amazon.awssdk.services.dynamodb.model.AttributeValue.Type.N);
    }

    @Test
    void setsKeepTheirMembers() {
        assertThat(StreamImages.toSdk("a", lambda().withSS("x", "y")).ss()).containsExactly("x", "y");
        assertThat(StreamImages.toSdk("a", lambda().withNS("1", "2.5")).ns()).containsExactly("1", "2.5");
        assertThat(StreamImages.toSdk("a", lambda().withBS(bytes("p"), bytes("q"))).bs())
                .containsExactly(SdkBytes.fromUtf8String("p"), SdkBytes.fromUtf8String("q"));
    }

    @Test
    void mapsAndListsAreConvertedAllTheWayDown() {
        Map<String, AttributeValue> inner = new LinkedHashMap<>();
        inner.put("phase", new AttributeValue("RUNNING"));
        inner.put("attempt", lambda().withN("2"));
        inner.put("gone", lambda().withNULL(true));
        AttributeValue list = lambda().withL(lambda().withM(inner), lambda().withL(), lambda().withBOOL(true));
        var converted = StreamImages.toSdk(Map.of("nodes", list)).get("nodes");

        assertThat(converted.l()).hasSize(3);
        assertThat(converted.l().get(0).m()).containsOnlyKeys("phase", "attempt", "gone");
        assertThat(converted.l().get(0).m().get("phase").s()).isEqualTo("RUNNING");
        assertThat(converted.l().get(0).m().get("attempt").n()).isEqualTo("2");
        assertThat(converted.l().get(0).m().get("gone").nul()).isTrue();
        assertThat(converted.l().get(1).hasL()).as("an empty list stays a list").isTrue();
        assertThat(converted.l().get(1).l()).isEmpty();
        assertThat(converted.l().get(2).bool()).isTrue();
        assertThat(StreamImages.toSdk("m", lambda().withM(Map.of())).hasM()).as("an empty map stays a map").isTrue();
    }

    @Test
    void aValueOfNoTypeIsRefusedNamingItsAttribute() {
        assertThatThrownBy(() -> StreamImages.toSdk(Map.of("nodes", lambda().withM(Map.of("n1", lambda())))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nodes.n1");
        assertThatThrownBy(() -> StreamImages.toSdk("a", lambda().withNULL(false)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(StreamImages.toSdk(null)).isNull();
    }

    @Test
    void everyTypeComesBackUnchangedThroughTheEventModel() {
        Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> image = new LinkedHashMap<>();
        image.put("s", av(v -> v.s("run_1")));
        image.put("n", av(v -> v.n("42")));
        image.put("b", av(v -> v.b(SdkBytes.fromUtf8String("bin"))));
        image.put("ss", av(v -> v.ss("a", "b")));
        image.put("ns", av(v -> v.ns("1", "2")));
        image.put("bs", av(v -> v.bs(SdkBytes.fromUtf8String("c"), SdkBytes.fromUtf8String("d"))));
        image.put("m", av(v -> v.m(Map.of("k", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("v")))));
        image.put("l", av(v -> v.l(software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromN("1"),
                software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromL(List.of()))));
        image.put("bool", av(v -> v.bool(false)));
        image.put("nul", av(v -> v.nul(true)));
        assertThat(StreamImages.toSdk(StreamImages.toLambda(image))).isEqualTo(image);
    }
}
