package io.metronome.egress;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client against real servers on loopback (the only addresses a test may reach): each refusal is checked to
 * have sent nothing, by the server's own count of requests.
 */
class EgressClientTest {
    private final List<Server> servers = new ArrayList<>();

    /** A server on a loopback address that counts requests and answers with what {@code answer} says. */
    private final class Server {
        final HttpServer http;
        final AtomicInteger hits = new AtomicInteger();
        volatile String location;
        volatile byte[] body = "{\"ok\": true}".getBytes(StandardCharsets.UTF_8);

        Server(String address) {
            this(address, 0);
        }

        Server(String address, int port) {
            try {
                http = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            http.createContext("/", exchange -> {
                hits.incrementAndGet();
                exchange.getRequestBody().readAllBytes();
                if (location != null) {
                    exchange.getResponseHeaders().add("Location", location);
                    exchange.sendResponseHeaders(302, -1);
                } else {
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.getResponseHeaders().add("X-Multi", "a");
                    exchange.getResponseHeaders().add("X-Multi", "b");
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                }
                exchange.close();
            });
            http.start();
            servers.add(this);
        }

        int port() {
            return http.getAddress().getPort();
        }

        String url(String host) {
            return "http://" + host + ":" + port() + "/";
        }
    }

    @AfterEach
    void stop() {
        servers.forEach(s -> s.http.stop(0));
    }

    private static EgressClient.Response get(EgressClient client, String url) throws IOException {
        return client.send("GET", URI.create(url), List.of(Map.entry("X-Test", "1")), null, Duration.ofSeconds(5), 1000);
    }

    private static EgressClient.Lookup names(Map<String, String[]> table) {
        return host -> {
            String[] ips = table.get(host);
            if (ips == null) {
                throw new UnknownHostException(host);
            }
            InetAddress[] out = new InetAddress[ips.length];
            for (int i = 0; i < ips.length; i++) {
                out[i] = InetAddress.getByAddress(host, EgressPolicy.literal(ips[i]).orElseThrow().getAddress());
            }
            return out;
        };
    }

    @Test
    void anAllowedDestinationAnswersWithItsStatusHeadersAndBody() throws Exception {
        Server s = new Server("127.0.0.1");
        try (EgressClient client = new EgressClient(EgressPolicy.local("", Set.of()))) {
            EgressClient.Response r = get(client, s.url("127.0.0.1"));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.contentType()).isEqualTo("application/json");
            assertThat(r.headers()).containsEntry("x-multi", "a, b");
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\": true}");
        }
        assertThat(s.hits).hasValue(1);
    }

    @Test
    void theDeployedPolicyLetsNoRequestReachLoopbackByAddressOrByName() throws Exception {
        Server s = new Server("127.0.0.1");
        try (EgressClient client = new EgressClient(EgressPolicy.deployed(""),
                names(Map.of("innocent.example", new String[]{"127.0.0.1"})))) {
            assertThatThrownBy(() -> get(client, s.url("127.0.0.1"))).isInstanceOf(EgressRefusedException.class)
                    .hasMessageContaining("loopback");
            assertThatThrownBy(() -> get(client, s.url("innocent.example"))).isInstanceOf(EgressRefusedException.class)
                    .hasMessageContaining("'innocent.example' (127.0.0.1:" + s.port() + ") is a loopback address");
            assertThatThrownBy(() -> get(client, s.url("[::ffff:127.0.0.1]"))).isInstanceOf(EgressRefusedException.class);
        }
        assertThat(s.hits).as("nothing was sent").hasValue(0);
    }

    @Test
    void anAllowListedHostNameResolvingToLoopbackIsRefusedAndACidrOpensIt() throws Exception {
        Server s = new Server("127.0.0.1");
        Map<String, String[]> dns = Map.of("billing.internal", new String[]{"127.0.0.1"});
        try (EgressClient byName = new EgressClient(EgressPolicy.deployed("billing.internal"), names(dns))) {
            assertThatThrownBy(() -> get(byName, s.url("billing.internal"))).isInstanceOf(EgressRefusedException.class)
                    .hasMessageContaining("never a host name");
        }
        assertThat(s.hits).as("nothing reached the server").hasValue(0);
        try (EgressClient byCidr = new EgressClient(EgressPolicy.deployed("127.0.0.1/32"), names(dns))) {
            assertThat(get(byCidr, s.url("billing.internal")).status()).isEqualTo(200);
        }
        assertThat(s.hits).hasValue(1);
    }

    @Test
    void ofTheAddressesANameResolvesToOnlyTheAllowedOnesAreConnectedTo() throws Exception {
        Server allowed = new Server("127.0.0.2");
        Server refused = new Server("127.0.0.1", allowed.port()); // the same port: only the address tells them apart
        EgressPolicy policy = EgressPolicy.deployed("127.0.0.2/32");
        try (EgressClient client = new EgressClient(policy,
                names(Map.of("mixed.example", new String[]{"127.0.0.1", "127.0.0.2"})))) {
            assertThat(get(client, allowed.url("mixed.example")).status()).isEqualTo(200);
        }
        assertThat(allowed.hits).hasValue(1);
        assertThat(refused.hits).hasValue(0);
    }

    @Test
    void theLocalStacksPortsAreRefusedOnLoopbackUnderAnyName() throws Exception {
        Server stack = new Server("127.0.0.1");
        try (EgressClient client = new EgressClient(EgressPolicy.local("", Set.of(stack.port())),
                names(Map.of("stack.example", new String[]{"127.0.0.1"})))) {
            for (String host : List.of("127.0.0.1", "localhost", "stack.example", "127.9.9.9", "[::ffff:127.0.0.1]", "0.0.0.0")) {
                assertThatThrownBy(() -> get(client, stack.url(host))).as(host).isInstanceOf(EgressRefusedException.class)
                        .hasMessageStartingWith("refused by the egress policy");
            }
        }
        assertThat(stack.hits).hasValue(0);
    }

    @Test
    void aRedirectToARefusedAddressIsNotFollowed() throws Exception {
        Server stack = new Server("127.0.0.1");
        Server open = new Server("127.0.0.1");
        try (EgressClient client = new EgressClient(EgressPolicy.local("", Set.of(stack.port())),
                names(Map.of("rebind.example", new String[]{"127.0.0.1"})))) {
            for (String target : List.of(stack.url("127.0.0.1"), stack.url("localhost"), stack.url("rebind.example"),
                    stack.url("0.0.0.0"), "ftp://127.0.0.1/x")) {
                open.location = target;
                assertThatThrownBy(() -> get(client, open.url("127.0.0.1"))).as(target)
                        .isInstanceOf(EgressRefusedException.class).hasMessageStartingWith("refused by the egress policy");
            }
        }
        assertThat(stack.hits).as("the refused destination got nothing").hasValue(0);
        assertThat(open.hits).hasValue(5);
    }

    @Test
    void anAllowedRedirectIsFollowed() throws Exception {
        Server first = new Server("127.0.0.1");
        Server second = new Server("127.0.0.1");
        first.location = second.url("127.0.0.1") + "next";
        try (EgressClient client = new EgressClient(EgressPolicy.local("", Set.of()))) {
            assertThat(get(client, first.url("127.0.0.1")).status()).isEqualTo(200);
        }
        assertThat(second.hits).hasValue(1);
    }

    @Test
    void aBodyLongerThanTheLimitIsRefusedWithoutKeepingIt() throws Exception {
        Server s = new Server("127.0.0.1");
        s.body = new byte[5000];
        try (EgressClient client = new EgressClient(EgressPolicy.local("", Set.of()))) {
            assertThatThrownBy(() -> get(client, s.url("127.0.0.1"))).isInstanceOf(EgressClient.TooLargeException.class);
            s.body = new byte[1000];
            assertThat(get(client, s.url("127.0.0.1")).body()).hasSize(1000);
        }
    }

    @Test
    void theResolverJudgesLiteralsAndNamesItself() throws Exception {
        EgressClient.CheckedResolver resolver = new EgressClient.CheckedResolver(EgressPolicy.deployed(""),
                names(Map.of("meta.example", new String[]{"169.254.169.254"}, "pub.example", new String[]{"8.8.8.8"})));
        assertThatThrownBy(() -> resolver.resolve("127.0.0.1", 80)).hasMessageContaining("loopback");
        assertThatThrownBy(() -> resolver.resolve("[::1]", 80)).hasMessageContaining("loopback");
        assertThatThrownBy(() -> resolver.resolve("meta.example", 80)).hasMessageContaining("metadata");
        assertThatThrownBy(() -> resolver.resolve("meta.example")).as("never without a port").isInstanceOf(UnknownHostException.class);
        assertThat(resolver.resolve("pub.example", 443)).extracting(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
                .containsExactly("8.8.8.8:443");
    }

    /** An answer that trickles in, each read within the read timeout, is still cut off at the exchange's timeout. */
    @Test
    void aTricklingAnswerIsCutOffAtTheWholeExchangesTimeout() throws Exception {
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (java.net.Socket c = listener.accept()) {
                    c.getInputStream().read(new byte[4096]);
                    var out = c.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".getBytes());
                    for (int i = 0; i < 100000; i++) {
                        out.write('x');
                        out.flush();
                        Thread.sleep(50);
                    }
                } catch (Exception ignored) {
                    // the client hung up, as it should
                }
            });
            server.setDaemon(true);
            server.start();
            try (EgressClient client = new EgressClient(EgressPolicy.local("", java.util.Set.of()))) {
                assertThatThrownBy(() -> client.send("GET", URI.create("http://127.0.0.1:" + listener.getLocalPort() + "/"),
                        List.of(), null, Duration.ofMillis(600), 1_000_000))
                        .isInstanceOf(java.net.SocketTimeoutException.class).hasMessageContaining("longer than 600 ms");
            }
        }
    }
}
