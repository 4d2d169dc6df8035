package io.metronome.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 written byte for byte over a socket, for the requests {@code java.net.http} will not send: malformed
 * percent-escapes, unreadable headers and request lines, broken framing, bodies past the gateway's limit. The body
 * is written on its own thread while the answer is read, so a server that answers early (and stops reading) does
 * not block the test.
 */
final class RawHttp {
    private static final int TIMEOUT_MS = 30_000;

    record Answer(int status, Map<String, String> headers, String body) {
        JsonNode json() {
            return Json.read(body);
        }

        String errorCode() {
            return json().path("error").path("code").asText(null);
        }

        List<String> detailPaths() {
            List<String> paths = new ArrayList<>();
            json().path("error").path("details").forEach(d -> paths.add(d.path("path").asText()));
            return paths;
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttp() {
    }

    /**
     * @param head the request line and headers, lines separated by CRLF, without the blank line that ends them
     * @param body written after the head as it is (may be null); the head declares its framing
     */
    static Answer send(int port, String head, byte[] body) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(TIMEOUT_MS);
            OutputStream out = socket.getOutputStream();
            out.write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread writer = null;
            if (body != null) {
                writer = new Thread(() -> {
                    try {
                        out.write(body);
                        out.flush();
                    } catch (IOException answeredEarly) {
                        // the server refused before reading it all, and closed: its answer is what counts
                    }
                }, "raw-http-body");
                writer.setDaemon(true);
                writer.start();
            }
            Answer answer = read(socket.getInputStream(), head.startsWith("HEAD "));
            if (writer != null) {
                writer.interrupt();
            }
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Answer read(InputStream in, boolean head) throws IOException {
        while (true) {
            String status = line(in);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            int code = Integer.parseInt(status.split(" ")[1]);
            if (code == 100) {
                continue; // an interim answer to Expect: 100-continue
            }
            int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0")); // HEAD: no body
            return new Answer(code, headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the connection closed before the answer ended: " + line);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
