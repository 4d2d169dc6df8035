package io.metronome.local;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Percent-decoding that refuses instead of guessing: a {@code %} not followed by two hex digits, or escapes whose
 * bytes are not UTF-8, are an error (the JDK's {@code URLDecoder} throws on the first and silently replaces the
 * second). In a path {@code +} is a plus; in a query it is a space, as forms send it.
 */
final class UrlDecoding {
    private UrlDecoding() {
    }

    static String pathSegment(String raw) {
        return decode(raw, false);
    }

    static String queryComponent(String raw) {
        return decode(raw, true);
    }

    /** @throws IllegalArgumentException saying what is wrong, fit for the caller to read */
    private static String decode(String raw, boolean plusIsSpace) {
        if (raw.indexOf('%') < 0 && !(plusIsSpace && raw.indexOf('+') >= 0)) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 1 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    String escape = raw.substring(i, Math.min(raw.length(), i + 3));
                    throw new IllegalArgumentException("'" + escape + "' is not a percent-escape (a '%' must be followed"
                            + " by two hex digits; send '%' itself as %25)");
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                bytes.write(' ');
            } else {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(c) && i + 1 < raw.length()) {
                    utf8 = raw.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                bytes.writeBytes(utf8);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("its percent-escapes are not UTF-8");
        }
    }
}
