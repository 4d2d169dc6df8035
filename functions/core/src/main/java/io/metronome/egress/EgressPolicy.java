package io.metronome.egress;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where nodes may send requests: decides, for the address a connection is about to go to, whether it may. Public
 * addresses are allowed. Loopback, private, carrier-grade NAT, link-local and reserved addresses are refused
 * unless the allow-list names them (a CIDR block, or the host name the URL gave); metadata, unspecified, 0.0.0.0/8,
 * multicast and broadcast addresses are refused whatever it says. In local mode loopback is allowed, except the
 * ports of the local stack itself (its API and emulators), which are refused even when allow-listed.
 */
public final class EgressPolicy {
    private static final Pattern HOST_NAME = Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*");
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final boolean local;
    private final Set<Integer> stackPorts;
    private final List<Cidr> cidrs = new ArrayList<>();
    private final List<String> hosts = new ArrayList<>();

    private EgressPolicy(boolean local, Set<Integer> stackPorts, String allowList) {
        this.local = local;
        this.stackPorts = stackPorts;
        for (String raw : allowList == null ? new String[0] : allowList.split(",")) {
            String entry = raw.trim().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            Optional<Cidr> cidr = Cidr.parse(entry);
            if (cidr.isPresent()) {
                cidrs.add(cidr.get());
            } else if (HOST_NAME.matcher(entry).matches() && !DOTTED_QUAD.matcher(entry).matches()) {
                hosts.add(entry);
            } else {
                throw new IllegalArgumentException("egress allow-list entry '" + raw.trim()
                        + "' is neither a CIDR block (10.1.0.0/16, fd00::/8) nor a host name (api.internal, *.svc.internal)");
            }
        }
    }

    /** As deployed: no loopback, private, link-local or metadata destinations but what the allow-list opens. */
    public static EgressPolicy deployed(String allowList) {
        return new EgressPolicy(false, Set.of(), allowList);
    }

    /**
     * For the local stack: loopback is allowed, but never on {@code stackPorts}.
     *
     * @param stackPorts the local stack's own ports; read at each decision, so the stack may add a port it binds later
     */
    public static EgressPolicy local(String allowList, Set<Integer> stackPorts) {
        return new EgressPolicy(true, stackPorts, allowList);
    }

    /** The deployed policy, with the allow-list from {@code EGRESS_ALLOW_LIST} (the template's EgressAllowList). */
    public static EgressPolicy fromEnvironment(Function<String, String> env) {
        return deployed(env.apply("EGRESS_ALLOW_LIST"));
    }

    /**
     * @param host the host name the URL gave (or the address literal), for the allow-list's host names
     * @param address where the connection would go
     * @return why the connection is refused, or empty if it may go ahead
     */
    public Optional<String> refusal(String host, InetAddress address, int port) {
        String name = normalise(host);
        AddressClass kind = AddressClass.of(address);
        String where = describe(name, address, port);
        if (local && kind == AddressClass.LOOPBACK && stackPorts.contains(port)) {
            return Optional.of("refused by the egress policy: " + where
                    + " is the local stack's own port (its API or an emulator), never reachable from a node");
        }
        if (kind == AddressClass.PUBLIC || (local && kind == AddressClass.LOOPBACK)) {
            return Optional.empty();
        }
        if (!kind.allowable()) {
            return Optional.of("refused by the egress policy: " + where + " is " + kind.description() + ", never allowed");
        }
        if (allowListed(name, address, kind)) {
            return Optional.empty();
        }
        return Optional.of("refused by the egress policy: " + where + " is " + kind.description()
                + (kind == AddressClass.PRIVATE || kind == AddressClass.CARRIER_NAT
                ? "; the egress allow-list (EgressAllowList) can open it"
                : "; only a CIDR in the egress allow-list (EgressAllowList) can open it, never a host name"));
    }

    /**
     * What can be judged of a URL without resolving it: its scheme (http or https only), and its host when that is
     * an address literal or a name that always means this machine ({@code localhost}). Other host names are judged
     * when the connection is made.
     *
     * @return why a request to the URL is refused, or empty if it may be tried
     */
    public Optional<String> refusal(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Optional.of("refused by the egress policy: only http and https URLs, not '" + url.getScheme() + "'");
        }
        String host = url.getHost();
        if (host == null || host.isEmpty()) {
            return Optional.of("refused by the egress policy: the URL has no valid host name");
        }
        int port = url.getPort() != -1 ? url.getPort() : scheme.equals("https") ? 443 : 80;
        Optional<InetAddress> address = literal(host);
        if (address.isEmpty()) {
            String name = normalise(host);
            if (name.equals("localhost") || name.endsWith(".localhost")) {
                address = Optional.of(InetAddress.getLoopbackAddress());
            }
        }
        return address.flatMap(a -> refusal(host, a, port));
    }

    /** The address a host string spells out (dotted IPv4, or IPv6 with or without brackets), without any lookup. */
    public static Optional<InetAddress> literal(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            if (h.contains(":")) {
                return Optional.of(InetAddress.getByName("[" + h + "]")); // bracketed: parsed, never looked up
            }
            if (DOTTED_QUAD.matcher(h).matches()) {
                byte[] b = new byte[4];
                String[] parts = h.split("\\.");
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(parts[i]);
                    if (v > 255) {
                        return Optional.empty();
                    }
                    b[i] = (byte) v;
                }
                return Optional.of(InetAddress.getByAddress(b));
            }
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * A host-name entry opens only private and carrier-NAT addresses: what a name resolves to is in the hands of
     * whoever runs its DNS, so a name (or a wildcard) must never open loopback (the Lambda runtime API listens
     * there) or link-local. Those open only by an explicit CIDR.
     */
    private boolean allowListed(String name, InetAddress address, AddressClass kind) {
        boolean byName = kind == AddressClass.PRIVATE || kind == AddressClass.CARRIER_NAT;
        for (String entry : hosts) {
            if (byName && (entry.startsWith("*.") ? name.endsWith(entry.substring(1)) : name.equals(entry))) {
                return true;
            }
        }
        InetAddress embedded = AddressClass.embeddedIpv4(address);
        for (Cidr c : cidrs) {
            if (c.contains(address) || c.contains(embedded)) {
                return true;
            }
        }
        return false;
    }

    private static String normalise(String host) {
        String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static String describe(String name, InetAddress address, int port) {
        String ip = address.getHostAddress();
        String hostPort = (address instanceof Inet4Address ? ip : "[" + ip + "]") + ":" + port;
        boolean sameAsAddress = name.isEmpty() || literal(name).map(address::equals).orElse(false);
        return sameAsAddress ? hostPort : "'" + name + "' (" + hostPort + ")";
    }

    /** A block of addresses: 10.0.0.0/8, fd00::/8, or one address. */
    record Cidr(byte[] network, int prefix) {
        static Optional<Cidr> parse(String text) {
            int slash = text.indexOf('/');
            Optional<InetAddress> address = literal(slash < 0 ? text : text.substring(0, slash));
            if (address.isEmpty()) {
                return Optional.empty();
            }
            byte[] bytes = address.get().getAddress();
            int prefix = bytes.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(text.substring(slash + 1));
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
                if (prefix < 0 || prefix > bytes.length * 8) {
                    return Optional.empty();
                }
            }
            return Optional.of(new Cidr(bytes, prefix));
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >> (bit % 8);
                if ((a[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
