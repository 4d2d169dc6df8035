package io.metronome.domain;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Event ids come back as they were handed out, and nothing else is taken for one. */
class EventCursorTest {

    @Test
    void anIdHandedOutParsesToTheSamePositionAndPositionsOrderByRevisionThenIndex() {
        for (EventCursor c : new EventCursor[]{new EventCursor(1, 0), new EventCursor(17, 3),
                new EventCursor(EventCursor.MAX_REV, EventCursor.MAX_INDEX)}) {
            assertThat(EventCursor.parse(c.id(), "after")).isEqualTo(c);
        }
        assertThat(new EventCursor(17, 3).id()).isEqualTo("17.3");
        assertThat(EventCursor.parse(null, "after")).as("from the first event").isNull();
        assertThat(new EventCursor(9, 999)).isLessThan(new EventCursor(10, 0));
        assertThat(new EventCursor(10, 2)).isLessThan(new EventCursor(10, 10));
    }

    @Test
    void anythingElseIsA400NamingTheFieldItCameIn() {
        for (String bad : new String[]{"", "17", "17.", ".3", "0.0", "017.3", "17.03", "17.1000", "-1.0", "17.3.1",
                " 17.3", "17.3 ", "1e3.0", "1000000000000.0", "x".repeat(5000), "17,3", "１７.3"}) {
            assertThatThrownBy(() -> EventCursor.parse(bad, "Last-Event-ID")).as(bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.details()).extracting(ApiException.ErrorDetail::path).containsExactly("Last-Event-ID");
                    });
        }
    }
}
