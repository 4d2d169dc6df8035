package io.metronome.egress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * What kind of destination an IP address is, for the egress policy. IPv6 forms that carry an IPv4 address
 * (IPv4-mapped, IPv4-compatible, SIIT, 6to4, NAT64, Teredo) are judged by the IPv4 address they carry, since that
 * is where the packets end up.
 */
public enum AddressClass {
    PUBLIC("a public address", true),
    LOOPBACK("a loopback address", true),
    PRIVATE("a private-network address", true),
    CARRIER_NAT("a carrier-grade NAT address", true),
    LINK_LOCAL("a link-local address", true),
    RESERVED("a reserved or documentation address", true),
    /** Cloud instance and container metadata endpoints: they hand out credentials. */
    METADATA("a cloud metadata address", false),
    UNSPECIFIED("the unspecified address (it reaches this host)", false),
    THIS_NETWORK("an address in 0.0.0.0/8", false),
    MULTICAST("a multicast address", false),
    BROADCAST("the broadcast address", false);

    private final String description;
    private final boolean allowable;

    AddressClass(String description, boolean allowable) {
        this.description = description;
        this.allowable = allowable;
    }

    public String description() {
        return description;
    }

    /** Whether the allow-list may open this class; the others are refused whatever it says. */
    public boolean allowable() {
        return allowable;
    }

    public static AddressClass of(InetAddress address) {
        InetAddress effective = embeddedIpv4(address);
        if (effective instanceof Inet4Address) {
            return ofIpv4(effective.getAddress());
        }
        return ofIpv6(effective.getAddress());
    }

    /** The IPv4 address an IPv6 address carries, or the address itself. */
    public static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] b = address.getAddress();
        if (allZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            return ipv4(b, 12, false); // ::ffff:a.b.c.d, IPv4-mapped
        }
        if (allZero(b, 0, 8) && (b[8] & 0xff) == 0xff && (b[9] & 0xff) == 0xff && allZero(b, 10, 12)) {
            return ipv4(b, 12, false); // ::ffff:0:a.b.c.d, IPv4-translated (SIIT)
        }
        if (allZero(b, 0, 12) && !(allZero(b, 12, 15) && (b[15] == 0 || b[15] == 1))) {
            return ipv4(b, 12, false); // ::a.b.c.d, IPv4-compatible (but not :: or ::1)
        }
        if (word(b, 0) == 0x2002) {
            return ipv4(b, 2, false); // 2002:aabb:ccdd::/48, 6to4
        }
        if (word(b, 0) == 0x0064 && word(b, 2) == 0xff9b && (allZero(b, 4, 12) || word(b, 4) == 0x0001)) {
            return ipv4(b, 12, false); // 64:ff9b::/96 and 64:ff9b:1::/48, NAT64
        }
        if (word(b, 0) == 0x2001 && word(b, 2) == 0x0000) {
            return ipv4(b, 12, true); // 2001::/32, Teredo: the client's address, inverted
        }
        return address;
    }

    private static AddressClass ofIpv4(byte[] a) {
        int b0 = a[0] & 0xff;
        int b1 = a[1] & 0xff;
        int b2 = a[2] & 0xff;
        int b3 = a[3] & 0xff;
        if (b0 == 0) {
            return b1 == 0 && b2 == 0 && b3 == 0 ? UNSPECIFIED : THIS_NETWORK;
        }
        if (b0 == 127) {
            return LOOPBACK;
        }
        if (b0 == 169 && b1 == 254) {
            // EC2's instance metadata service, ECS task metadata and credentials, EKS Pod Identity
            boolean metadata = (b2 == 169 && b3 == 254) || (b2 == 170 && (b3 == 2 || b3 == 23));
            return metadata ? METADATA : LINK_LOCAL;
        }
        if (b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168)) {
            return PRIVATE;
        }
        if (b0 == 100 && (b1 & 0xc0) == 64) {
            return CARRIER_NAT;
        }
        if ((b0 & 0xf0) == 224) {
            return MULTICAST;
        }
        if (b0 == 255 && b1 == 255 && b2 == 255 && b3 == 255) {
            return BROADCAST;
        }
        if ((b0 & 0xf0) == 240 // reserved for future use
                || (b0 == 192 && b1 == 0 && (b2 == 0 || b2 == 2)) // protocol assignments (192.0.0.192 is a metadata address), documentation
                || (b0 == 198 && (b1 & 0xfe) == 18) // benchmarking
                || (b0 == 198 && b1 == 51 && b2 == 100) || (b0 == 203 && b1 == 0 && b2 == 113)) { // documentation
            return RESERVED;
        }
        return PUBLIC;
    }

    private static AddressClass ofIpv6(byte[] b) {
        if (allZero(b, 0, 16)) {
            return UNSPECIFIED;
        }
        if (allZero(b, 0, 15) && b[15] == 1) {
            return LOOPBACK;
        }
        int first = word(b, 0);
        if (first == 0xfd00 && word(b, 2) == 0x0ec2 && allZero(b, 4, 14) && (word(b, 14) == 0x0254 || word(b, 14) == 0x0023)) {
            return METADATA; // fd00:ec2::254 (EC2 metadata over IPv6), fd00:ec2::23 (EKS Pod Identity)
        }
        if ((first & 0xff00) == 0xff00) {
            return MULTICAST;
        }
        if ((first & 0xffc0) == 0xfe80) {
            return LINK_LOCAL;
        }
        if ((first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0) {
            return PRIVATE; // unique local fc00::/7, deprecated site-local fec0::/10
        }
        if ((first == 0x2001 && word(b, 2) == 0x0db8) || (first == 0x0100 && allZero(b, 2, 8))) {
            return RESERVED; // documentation 2001:db8::/32, discard 100::/64
        }
        return PUBLIC;
    }

    private static InetAddress ipv4(byte[] b, int from, boolean inverted) {
        byte[] v4 = new byte[4];
        for (int i = 0; i < 4; i++) {
            v4[i] = (byte) (inverted ? ~b[from + i] : b[from + i]);
        }
        try {
            return InetAddress.getByAddress(v4);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static int word(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }
}
