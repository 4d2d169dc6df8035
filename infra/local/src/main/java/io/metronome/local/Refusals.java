package io.metronome.local;

import io.metronome.api.ApiFunction;
import io.metronome.domain.ApiException;

import java.util.List;

/**
 * What the local gateway answers, in the contract's envelope, for a request it refuses before any handler sees it.
 * On AWS API Gateway refuses these itself, each with its own bare message; locally they are the contract's codes:
 * a body past the gateway's limit is {@code payload_too_large}, anything else the HTTP server cannot read (request
 * line, URI, headers, framing) is a {@code validation_error}, never a 5xx.
 */
final class Refusals {
    /** API Gateway's own limit on a request body (the API's handlers accept at most 256 KB of it). */
    static final int MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

    private Refusals() {
    }

    static ApiException bodyTooLarge() {
        return new ApiException(413, "payload_too_large", "the body is over " + MAX_PAYLOAD_BYTES
                + " bytes, more than API Gateway accepts; the API accepts at most " + ApiFunction.MAX_BODY_BYTES,
                List.of());
    }

    /** A URL's part whose percent-escapes do not decode, named as the handlers name their inputs. */
    static ApiException malformedUrl(String part, String problem) {
        return ApiException.validation(part, problem);
    }

    static ApiException unreadableBody() {
        return ApiException.validation("$", "the body could not be read (its framing is broken)");
    }

    /**
     * The HTTP server's own refusal (status and reason from its parser, and the exception behind it), as the
     * contract's error.
     *
     * @param reason may be null
     * @param cause  may be null
     */
    static ApiException protocolError(int status, String reason, Throwable cause) {
        if (status == 413) {
            return bodyTooLarge();
        }
        if (isBadPercentEscape(cause)) {
            // Jetty parses the path's escapes as it reads the request line, before the gateway sees the path.
            return malformedUrl("$path", "a '%' not followed by two hex digits (send '%' itself as %25)");
        }
        String what = switch (status) {
            case 414 -> "the URL is too long";
            case 431 -> "the request's headers are too large";
            case 408 -> "the request did not arrive in time";
            case 501 -> "the request uses an HTTP feature this server does not support";
            case 505 -> "the HTTP version is not supported";
            default -> "the request is not valid HTTP";
        };
        return new ApiException(400, "validation_error", reason == null || reason.isBlank() ? what
                : what + " (" + reason + ")", List.of());
    }

    /** Whether the URI parser failed on an escape: a non-hex digit after '%', or a '%' at the end. */
    private static boolean isBadPercentEscape(Throwable cause) {
        for (Throwable t = cause; t != null && t != t.getCause(); t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof NumberFormatException && m.startsWith("!hex") || m.contains("% encoding")) {
                return true;
            }
        }
        return false;
    }
}
