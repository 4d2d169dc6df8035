package io.metronome.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AcceptTest {
    private static final List<String> OFFERED = List.of("text/event-stream", "application/json");

    private static String choose(String header) {
        return Accept.choose(header, OFFERED);
    }

    @Test
    void noPreferenceOrAnyTypeGetsTheRoutesFirst() {
        assertThat(choose(null)).isEqualTo("text/event-stream");
        assertThat(choose("")).isEqualTo("text/event-stream");
        assertThat(choose("*/*")).isEqualTo("text/event-stream");
        assertThat(choose("text/event-stream")).isEqualTo("text/event-stream");
    }

    @Test
    void theHighestWeightWinsEachTypeWeighedByItsMostSpecificRange() {
        assertThat(choose("application/json")).isEqualTo("application/json");
        assertThat(choose("application/json, text/event-stream;q=0.5")).isEqualTo("application/json");
        assertThat(choose("text/*;q=0.2, application/*;q=0.9")).isEqualTo("application/json");
        assertThat(choose("*/*;q=0.8, text/event-stream;q=0.1")).as("the exact range counts for it, not */*")
                .isEqualTo("application/json");
        assertThat(choose("Application/JSON; charset=utf-8")).isEqualTo("application/json");
        assertThat(choose("application/json;q=0.5, */*;q=0.5")).as("a tie: the route's first").isEqualTo("text/event-stream");
    }

    @Test
    void nothingAcceptableIsNullAndAnUnreadableWeightIsIgnored() {
        assertThat(choose("text/html")).isNull();
        assertThat(choose("text/event-stream;q=0, application/json;q=0")).isNull();
        assertThat(choose("application/json;q=2")).as("not a weight: the range is ignored").isNull();
        assertThat(choose("application/json;q=2, */*;q=0.1")).isEqualTo("text/event-stream");
    }
}
