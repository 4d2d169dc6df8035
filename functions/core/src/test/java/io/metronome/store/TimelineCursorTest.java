package io.metronome.store;

import io.metronome.domain.ApiException;
import io.metronome.domain.Ids;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Timeline cursors come back as they were handed out, and nothing else is taken for one. */
class TimelineCursorTest {
    private static final String RUN = Ids.next(Ids.RUN);

    @Test
    void aCursorHandedOutDecodesToTheSamePosition() {
        TimelineCursor c = new TimelineCursor(RUN, Ids.next(Ids.STEP), false, null, true);

        assertThat(TimelineCursor.decode(c.encode(), RUN)).isEqualTo(c);
        assertThat(TimelineCursor.decode(null, RUN)).isEqualTo(TimelineCursor.first(RUN));
    }

    @Test
    void aCursorOfAnotherRunAForgedOneOrAFinishedOneIsRefusedNamingTheCursor() {
        String other = new TimelineCursor(Ids.next(Ids.RUN), null, false, null, false).encode();
        String forgedStep = encode("{\"r\":\"" + RUN + "\",\"s\":\"stp_../../x\",\"a\":\"\"}");
        String extraField = encode("{\"r\":\"" + RUN + "\",\"s\":\"\",\"a\":\"\",\"x\":\"\"}");
        String finished = encode("{\"r\":\"" + RUN + "\",\"s\":\"-\",\"a\":\"-\"}");
        String auditIdAsStep = encode("{\"r\":\"" + RUN + "\",\"s\":\"" + Ids.next(Ids.AUDIT) + "\",\"a\":\"\"}");

        for (String bad : new String[]{other, forgedStep, extraField, finished, auditIdAsStep, "%%%", "x".repeat(600)}) {
            assertThatThrownBy(() -> TimelineCursor.decode(bad, RUN)).as(bad).isInstanceOf(ApiException.class)
                    .hasMessageContaining("cursor");
        }
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
