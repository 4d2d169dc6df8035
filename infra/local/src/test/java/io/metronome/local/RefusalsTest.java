package io.metronome.local;

import io.metronome.domain.ApiException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The local gateway's own refusals, as the contract's errors: a 4xx with one of its codes, never a 5xx. */
class RefusalsTest {
    @Test
    void whatTheHttpServerCannotReadIsAValidationErrorWhateverStatusItChose() {
        for (int status : new int[]{400, 408, 414, 431, 501, 505}) {
            ApiException e = Refusals.protocolError(status, "Some Reason", null);
            assertThat(e.status()).as("%d", status).isEqualTo(400);
            assertThat(e.code()).isEqualTo("validation_error");
            assertThat(e.getMessage()).contains("Some Reason");
        }
        assertThat(Refusals.protocolError(431, null, null).getMessage()).isEqualTo("the request's headers are too large");
    }

    @Test
    void aBodyPastTheGatewaysLimitIsPayloadTooLargeNamingBothLimits() {
        ApiException e = Refusals.protocolError(413, "Payload Too Large", null);
        assertThat(e.status()).isEqualTo(413);
        assertThat(e.code()).isEqualTo("payload_too_large");
        assertThat(e.getMessage()).contains("10485760").contains("262144");
    }

    @Test
    void aUriParserFailureOnAnEscapeNamesThePath() {
        Throwable badHex = new RuntimeException("400: Bad Request", new NumberFormatException("!hex z"));
        Throwable truncated = new RuntimeException("400: Bad Request", new IllegalArgumentException("Bad URI % encoding"));
        for (Throwable cause : new Throwable[]{badHex, truncated}) {
            ApiException e = Refusals.protocolError(400, "Bad Request", cause);
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.details()).extracting(ApiException.ErrorDetail::path).containsExactly("$path");
        }
        assertThat(Refusals.protocolError(400, "Bad Request", new NumberFormatException("For input string: \"x\"")).details())
                .as("another number that did not parse is not an escape").isEmpty();
    }
}
