package io.metronome.egress;

import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.DefaultRedirectStrategy;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.routing.DefaultRoutePlanner;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one HTTP client for requests a node makes, held to an {@link EgressPolicy} at connect time. The client's DNS
 * resolver is where the policy is applied: the connection manager connects to exactly the addresses it returns, so
 * the address judged is the address connected to (a host name that resolves differently a moment later changes
 * nothing), literal addresses included. Redirects are followed, at most {@value #MAX_REDIRECTS}, each one's URL
 * checked and its connection resolved through the same resolver; https is never redirected to http. No proxy, no
 * cookies kept between requests, no automatic retries (the engine retries attempts).
 */
public final class EgressClient implements AutoCloseable {
    public static final int MAX_REDIRECTS = 5;

    /** How host names become addresses; tests give one that answers what they need. */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** @param headers lower-cased names, repeated headers joined with ", " */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        public String contentType() {
            return headers.getOrDefault("content-type", "");
        }
    }

    /** The answer's body was longer than the caller keeps. */
    public static final class TooLargeException extends IOException {
        TooLargeException(int limit) {
            super("the answer is longer than " + limit + " bytes");
        }
    }

    private final EgressPolicy policy;
    private final Lookup lookup;
    private volatile CloseableHttpClient client;

    public EgressClient(EgressPolicy policy) {
        this(policy, InetAddress::getAllByName);
    }

    public EgressClient(EgressPolicy policy, Lookup lookup) {
        this.policy = policy;
        this.lookup = lookup;
    }

    /**
     * Built when a node first makes a request, not at start: every function builds the engine, and most (the
     * API's) never send one, so none of them pays for loading the client.
     */
    private CloseableHttpClient client() {
        CloseableHttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = build(policy, lookup);
                    client = c;
                }
            }
        }
        return c;
    }

    private static CloseableHttpClient build(EgressPolicy policy, Lookup lookup) {
        return HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDnsResolver(new CheckedResolver(policy, lookup))
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(5)).build())
                        .setMaxConnTotal(200).setMaxConnPerRoute(50)
                        .build())
                .setRoutePlanner(new DefaultRoutePlanner(null)) // never a proxy: the address checked is the one reached
                .setRedirectStrategy(new CheckedRedirects(policy))
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableContentCompression()
                .disableAuthCaching()
                .build();
    }

    public EgressPolicy policy() {
        return policy;
    }

    /**
     * Sends one request and reads its answer.
     *
     * @param headers name and value pairs, sent as given
     * @param body sent as it is (with no Content-Type of its own), or null for none
     * @param timeout for the whole exchange: resolving, connecting, waiting and reading (cancelled at the deadline)
     * @param maxBytes the longest body kept; a longer one is {@link TooLargeException}
     * @throws EgressRefusedException the policy refused the URL, an address it resolved to, or a redirect
     */
    public Response send(String method, URI url, List<Map.Entry<String, String>> headers, byte[] body, Duration timeout,
                         int maxBytes) throws IOException {
        Optional<String> refused = policy.refusal(url);
        if (refused.isPresent()) {
            throw new EgressRefusedException(refused.get());
        }
        HttpUriRequestBase request = new HttpUriRequestBase(method, url);
        Timeout t = Timeout.of(timeout);
        request.setConfig(RequestConfig.custom().setResponseTimeout(t).setConnectionRequestTimeout(t)
                .setRedirectsEnabled(true).setMaxRedirects(MAX_REDIRECTS).build());
        headers.forEach(h -> request.addHeader(h.getKey(), h.getValue()));
        if (body != null) {
            request.setEntity(new ByteArrayEntity(body, null));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        // The per-read timeouts alone let connecting, a slow lookup and a trickling answer add up past the
        // timeout: at the deadline the request is cancelled, whatever it is blocked in.
        AtomicBoolean late = new AtomicBoolean();
        ScheduledFuture<?> watchdog = CANCELLER.schedule(() -> {
            late.set(true);
            request.cancel();
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            return exchange(request, deadline, timeout, maxBytes);
        } catch (IOException e) {
            if (late.get() && !(e instanceof EgressRefusedException)) {
                throw new SocketTimeoutException("the exchange took longer than " + timeout.toMillis() + " ms");
            }
            throw e;
        } finally {
            watchdog.cancel(false);
        }
    }

    private static final ScheduledExecutorService CANCELLER =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "egress-timeouts");
                t.setDaemon(true);
                return t;
            });

    private Response exchange(HttpUriRequestBase request, long deadline, Duration timeout, int maxBytes)
            throws IOException {
        ClassicHttpResponse response;
        try {
            response = client().executeOpen(null, request, null);
        } catch (RefusedAddress e) {
            throw new EgressRefusedException(e.getMessage());
        } catch (ClientProtocolException e) {
            if (e.getCause() instanceof RefusedRedirect r) {
                throw new EgressRefusedException(r.getMessage());
            }
            throw e;
        }
        try {
            Map<String, String> answerHeaders = new LinkedHashMap<>();
            for (Header h : response.getHeaders()) {
                answerHeaders.merge(h.getName().toLowerCase(Locale.ROOT), h.getValue(), (a, b) -> a + ", " + b);
            }
            byte[] bytes = new byte[0];
            if (response.getEntity() != null) {
                bytes = read(response.getEntity().getContent(), maxBytes, deadline, timeout);
            }
            return new Response(response.getCode(), answerHeaders, bytes);
        } catch (IOException e) {
            request.cancel(); // drop the connection rather than read the rest of a body we will not keep
            throw e;
        } finally {
            try {
                response.close();
            } catch (IOException ignored) {
                // the connection is discarded either way
            }
        }
    }

    private static byte[] read(InputStream in, int maxBytes, long deadline, Duration timeout) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) != -1) {
            out.write(buffer, 0, n);
            if (out.size() > maxBytes) {
                throw new TooLargeException(maxBytes);
            }
            if (System.nanoTime() > deadline) {
                throw new SocketTimeoutException("the answer took longer than " + timeout.toMillis() + " ms");
            }
        }
        return out.toByteArray();
    }

    @Override
    public void close() throws IOException {
        CloseableHttpClient c = client;
        if (c != null) {
            c.close();
        }
    }

    /** Resolves, then keeps only the addresses the policy allows for this host and port. */
    static final class CheckedResolver implements DnsResolver {
        private final EgressPolicy policy;
        private final Lookup lookup;

        CheckedResolver(EgressPolicy policy, Lookup lookup) {
            this.policy = policy;
            this.lookup = lookup;
        }

        @Override
        public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
            String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            Optional<InetAddress> literal = EgressPolicy.literal(name);
            InetAddress[] found = literal.isPresent() ? new InetAddress[]{literal.get()} : lookup.resolve(name);
            List<InetSocketAddress> allowed = new ArrayList<>();
            String firstRefusal = null;
            for (InetAddress a : found == null ? new InetAddress[0] : found) {
                Optional<String> refusal = policy.refusal(name, a, port);
                if (refusal.isEmpty()) {
                    allowed.add(new InetSocketAddress(a, port));
                } else if (firstRefusal == null) {
                    firstRefusal = refusal.get();
                }
            }
            if (allowed.isEmpty()) {
                throw new RefusedAddress(firstRefusal != null ? firstRefusal : "'" + name + "' has no address");
            }
            return allowed;
        }

        /** Only the host-and-port form above is used to connect; without a port nothing can be judged. */
        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            throw new RefusedAddress("refused by the egress policy: '" + host + "' resolved without a port");
        }

        @Override
        public String resolveCanonicalHostname(String host) throws UnknownHostException {
            return host;
        }
    }

    /**
     * An {@link UnknownHostException}, as the resolver's contract allows, that the client does not retry and that
     * {@link #send} reports as a refusal.
     */
    static final class RefusedAddress extends UnknownHostException {
        RefusedAddress(String reason) {
            super(reason);
        }
    }

    /** Redirects as the default strategy follows them, each one's URL checked, and none from https to http. */
    static final class CheckedRedirects extends DefaultRedirectStrategy {
        private final EgressPolicy policy;

        CheckedRedirects(EgressPolicy policy) {
            this.policy = policy;
        }

        @Override
        public boolean isRedirected(HttpRequest request, HttpResponse response, HttpContext context) throws ProtocolException {
            if (!super.isRedirected(request, response, context)) {
                return false;
            }
            try {
                URI location = getLocationURI(request, response, context);
                return !("https".equalsIgnoreCase(request.getUri().getScheme()) && "http".equalsIgnoreCase(location.getScheme()));
            } catch (URISyntaxException e) {
                throw new ProtocolException("bad request URI", e);
            } catch (ProtocolException e) {
                throw e;
            } catch (HttpException e) {
                throw new ProtocolException(e.getMessage(), e);
            }
        }

        @Override
        public URI getLocationURI(HttpRequest request, HttpResponse response, HttpContext context) throws HttpException {
            URI location = super.getLocationURI(request, response, context);
            Optional<String> refused = policy.refusal(location);
            if (refused.isPresent()) {
                throw new RefusedRedirect(refused.get() + " (a redirect to " + location + ")");
            }
            return location;
        }
    }

    static final class RefusedRedirect extends ProtocolException {
        RefusedRedirect(String reason) {
            super(reason);
        }
    }
}
