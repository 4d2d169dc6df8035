package io.metronome.local;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UrlDecodingTest {
    @Test
    void wellFormedEscapesDecodeAsUtf8AndPlusIsASpaceOnlyInAQuery() {
        assertThat(UrlDecoding.pathSegment("met_1")).isEqualTo("met_1");
        assertThat(UrlDecoding.pathSegment("a%2Fb%20c+d")).isEqualTo("a/b c+d");
        assertThat(UrlDecoding.queryComponent("a%2Fb%20c+d")).isEqualTo("a/b c d");
        assertThat(UrlDecoding.pathSegment("%C3%A9%e2%82%ac%F0%9F%8E%B5")).isEqualTo("é€🎵");
        assertThat(UrlDecoding.pathSegment("é")).as("characters sent unescaped stay as they are").isEqualTo("é");
        assertThat(UrlDecoding.queryComponent("")).isEmpty();
    }

    @Test
    void aPercentNotFollowedByTwoHexDigitsIsRefusedNamingIt() {
        for (String bad : new String[]{"%zz", "abc%", "%4", "%4g", "a%%41", "%-1"}) {
            assertThatThrownBy(() -> UrlDecoding.pathSegment(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a percent-escape").hasMessageContaining("%25");
            assertThatThrownBy(() -> UrlDecoding.queryComponent(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> UrlDecoding.pathSegment("x%zzy")).hasMessageStartingWith("'%zz'");
    }

    @Test
    void escapesWhoseBytesAreNotUtf8AreRefusedRatherThanReplaced() {
        for (String bad : new String[]{"%ff", "%c3%28", "%e2%82", "%ed%a0%80", "%c0%af"}) {
            assertThatThrownBy(() -> UrlDecoding.queryComponent(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not UTF-8");
        }
    }
}
