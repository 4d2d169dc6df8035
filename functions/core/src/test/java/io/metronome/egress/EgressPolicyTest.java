package io.metronome.egress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The policy's decisions, on addresses only: nothing here opens a connection. */
class EgressPolicyTest {
    private static final EgressPolicy DEPLOYED = EgressPolicy.deployed("");
    private static final int STACK_PORT = 8000;
    private static final EgressPolicy LOCAL = EgressPolicy.local("", Set.of(STACK_PORT, 3000));

    private static InetAddress ip(String literal) {
        return EgressPolicy.literal(literal).orElseThrow(() -> new AssertionError("not a literal: " + literal));
    }

    /** ::ffff:a.b.c.d kept as an IPv6 address, as Java's parser never leaves it but a caller may build it. */
    private static InetAddress mappedIpv6(String ipv4) throws Exception {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(ip(ipv4).getAddress(), 0, b, 12, 4);
        return Inet6Address.getByAddress(null, b, -1);
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            "8.8.8.8, PUBLIC", "93.184.216.34, PUBLIC", "2606:4700::1111, PUBLIC", "172.32.0.1, PUBLIC", "100.128.0.1, PUBLIC",
            "127.0.0.1, LOOPBACK", "127.255.255.254, LOOPBACK", "::1, LOOPBACK",
            "0.0.0.0, UNSPECIFIED", "::, UNSPECIFIED", "0.1.2.3, THIS_NETWORK",
            "169.254.1.1, LINK_LOCAL", "169.254.169.253, LINK_LOCAL", "fe80::1, LINK_LOCAL", "febf::1, LINK_LOCAL",
            "169.254.169.254, METADATA", "169.254.170.2, METADATA", "169.254.170.23, METADATA", "fd00:ec2::254, METADATA",
            "fd00:ec2::23, METADATA",
            "10.0.0.1, PRIVATE", "10.255.255.255, PRIVATE", "172.16.0.1, PRIVATE", "172.31.255.255, PRIVATE",
            "192.168.1.1, PRIVATE", "fc00::1, PRIVATE", "fd12:3456::1, PRIVATE", "fec0::1, PRIVATE",
            "100.64.0.1, CARRIER_NAT", "100.127.255.255, CARRIER_NAT",
            "224.0.0.1, MULTICAST", "239.255.255.250, MULTICAST", "ff02::1, MULTICAST",
            "255.255.255.255, BROADCAST",
            "240.0.0.1, RESERVED", "192.0.0.192, RESERVED", "198.18.0.1, RESERVED", "2001:db8::1, RESERVED",
            // IPv6 forms carrying an IPv4 address are judged by it
            "::ffff:127.0.0.1, LOOPBACK", "::ffff:169.254.169.254, METADATA", "::127.0.0.1, LOOPBACK", "::10.0.0.1, PRIVATE",
            "::ffff:0:10.0.0.1, PRIVATE", "2002:7f00:0001::1, LOOPBACK", "2002:a9fe:a9fe::1, METADATA",
            "2002:0808:0808::1, PUBLIC", "64:ff9b::7f00:1, LOOPBACK", "64:ff9b::a00:1, PRIVATE", "64:ff9b:1::c0a8:101, PRIVATE",
            "64:ff9b::808:808, PUBLIC", "2001:0:4136:e378:8000:63bf:80ff:fffe, LOOPBACK", "::2, THIS_NETWORK"
    })
    void everyAddressHasItsClass(String literal, AddressClass expected) {
        assertThat(AddressClass.of(ip(literal))).isEqualTo(expected);
    }

    @Test
    void anIpv4MappedAddressThatJavaKeepsAsIpv6IsDecodedToo() throws Exception {
        InetAddress raw = mappedIpv6("127.0.0.1");
        assertThat(raw).isInstanceOf(Inet6Address.class);
        assertThat(AddressClass.of(raw)).isEqualTo(AddressClass.LOOPBACK);
        assertThat(DEPLOYED.refusal("x", raw, 80)).isPresent();
        assertThat(AddressClass.of(mappedIpv6("169.254.169.254"))).isEqualTo(AddressClass.METADATA);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1", "10.1.2.3", "172.20.0.5", "192.168.0.10", "100.64.1.1", "169.254.10.10",
            "169.254.169.254", "fd00:ec2::254", "169.254.170.2", "0.0.0.0", "::", "0.0.0.7", "224.0.0.251", "ff05::2",
            "255.255.255.255", "fe80::1", "fc00::5", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:0a00:0001::"})
    void theDeployedPolicyRefusesEveryAddressThatIsNotPublic(String literal) {
        Optional<String> refusal = DEPLOYED.refusal(literal, ip(literal), 443);
        assertThat(refusal).isPresent();
        assertThat(refusal.get()).startsWith("refused by the egress policy: ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "2606:4700::1111", "2002:0808:0808::1"})
    void publicAddressesAreAllowedOnAnyPort(String literal) {
        assertThat(DEPLOYED.refusal(literal, ip(literal), 443)).isEmpty();
        assertThat(DEPLOYED.refusal(literal, ip(literal), STACK_PORT)).isEmpty();
        assertThat(LOCAL.refusal(literal, ip(literal), STACK_PORT)).as("stack ports matter on loopback only").isEmpty();
    }

    @Test
    void theReasonNamesTheAddressItsClassAndWhatCanOpenIt() {
        assertThat(DEPLOYED.refusal("10.0.0.5", ip("10.0.0.5"), 8080)).contains("refused by the egress policy: "
                + "10.0.0.5:8080 is a private-network address; the egress allow-list (EgressAllowList) can open it");
        assertThat(DEPLOYED.refusal("metadata.example", ip("169.254.169.254"), 80)).contains("refused by the egress policy: "
                + "'metadata.example' (169.254.169.254:80) is a cloud metadata address, never allowed");
    }

    @Test
    void theAllowListOpensCidrBlocksOfBothFamilies() {
        EgressPolicy p = EgressPolicy.deployed(" 10.1.0.0/16, fd00:1::/32 ,192.168.7.7");
        assertThat(p.refusal("a", ip("10.1.200.3"), 443)).isEmpty();
        assertThat(p.refusal("a", ip("10.2.0.1"), 443)).isPresent();
        assertThat(p.refusal("a", ip("fd00:1:ffff::1"), 443)).isEmpty();
        assertThat(p.refusal("a", ip("fd00:2::1"), 443)).isPresent();
        assertThat(p.refusal("a", ip("192.168.7.7"), 443)).as("a single address").isEmpty();
        assertThat(p.refusal("a", ip("192.168.7.8"), 443)).isPresent();
        assertThat(p.refusal("a", ip("::ffff:10.1.0.9"), 443)).as("an IPv4 block covers its mapped form").isEmpty();
    }

    @Test
    void theAllowListOpensHostNamesExactlyOrBySuffix() {
        EgressPolicy p = EgressPolicy.deployed("billing.internal,*.svc.corp");
        assertThat(p.refusal("billing.internal", ip("10.0.0.8"), 443)).isEmpty();
        assertThat(p.refusal("BILLING.internal.", ip("10.0.0.8"), 443)).as("case and a final dot do not matter").isEmpty();
        assertThat(p.refusal("other.internal", ip("10.0.0.8"), 443)).isPresent();
        assertThat(p.refusal("api.svc.corp", ip("10.0.0.9"), 443)).isEmpty();
        assertThat(p.refusal("a.b.svc.corp", ip("10.0.0.9"), 443)).isEmpty();
        assertThat(p.refusal("svc.corp", ip("10.0.0.9"), 443)).as("the suffix form wants a subdomain").isPresent();
        assertThat(p.refusal("evilsvc.corp", ip("10.0.0.9"), 443)).isPresent();
    }

    /** Whoever runs a name's DNS decides what it resolves to: a name opens private networks, never this machine. */
    @Test
    void anAllowListedNameNeverOpensLoopbackOrLinkLocal() {
        EgressPolicy p = EgressPolicy.deployed("billing.internal,*.svc.corp");
        assertThat(p.refusal("billing.internal", ip("127.0.0.1"), 9001)).as("the Lambda runtime API").isPresent();
        assertThat(p.refusal("x.svc.corp", ip("::1"), 443)).isPresent();
        assertThat(p.refusal("x.svc.corp", ip("169.254.10.10"), 443)).isPresent();
        assertThat(p.refusal("x.svc.corp", ip("100.64.1.1"), 443)).as("carrier NAT is a private network").isEmpty();
        assertThat(EgressPolicy.deployed("127.0.0.0/8").refusal("a", ip("127.0.0.1"), 80)).as("a CIDR can").isEmpty();
    }

    @Test
    void theAllowListNeverOpensMetadataUnspecifiedMulticastOrBroadcast() {
        EgressPolicy p = EgressPolicy.deployed("0.0.0.0/0,::/0,metadata.internal");
        assertThat(p.refusal("a", ip("10.9.9.9"), 80)).isEmpty();
        assertThat(p.refusal("a", ip("127.0.0.1"), 80)).isEmpty();
        for (String never : new String[]{"169.254.169.254", "fd00:ec2::254", "169.254.170.2", "0.0.0.0", "::", "0.1.1.1",
                "224.0.0.1", "255.255.255.255"}) {
            assertThat(p.refusal("a", ip(never), 80)).as(never).isPresent();
        }
        assertThat(p.refusal("metadata.internal", ip("169.254.169.254"), 80)).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "not a host!", "10.0.0.0/x", "fd00::/129", "http://x.example", "300.1.1.1"})
    void aMalformedAllowListEntryIsRefusedAtStart(String entry) {
        assertThatThrownBy(() -> EgressPolicy.deployed("10.0.0.0/8," + entry)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(entry);
    }

    @Test
    void localModeAllowsLoopbackButNeverTheStacksOwnPorts() {
        assertThat(LOCAL.refusal("127.0.0.1", ip("127.0.0.1"), 9999)).isEmpty();
        assertThat(LOCAL.refusal("localhost", ip("::1"), 9999)).isEmpty();
        assertThat(LOCAL.refusal("127.0.0.2", ip("127.0.0.2"), 9999)).isEmpty();
        for (String loop : new String[]{"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "::127.0.0.1"}) {
            assertThat(LOCAL.refusal("h", ip(loop), STACK_PORT)).as(loop).hasValueSatisfying(r -> assertThat(r)
                    .contains("is the local stack's own port"));
            assertThat(LOCAL.refusal("h", ip(loop), 3000)).as(loop).isPresent();
        }
        assertThat(EgressPolicy.local("127.0.0.0/8,localhost", Set.of(STACK_PORT)).refusal("localhost", ip("127.0.0.1"), STACK_PORT))
                .as("even allow-listed").isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "fd00:ec2::254", "224.0.0.1"})
    void localModeRefusesTheOtherClassesAsDeployed(String literal) {
        assertThat(LOCAL.refusal(literal, ip(literal), 80)).isPresent();
    }

    @Test
    void theLocalStackCanAddAPortItBindsLater() {
        Set<Integer> ports = java.util.concurrent.ConcurrentHashMap.newKeySet();
        EgressPolicy p = EgressPolicy.local("", ports);
        assertThat(p.refusal("h", ip("127.0.0.1"), 4321)).isEmpty();
        ports.add(4321);
        assertThat(p.refusal("h", ip("127.0.0.1"), 4321)).isPresent();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            http://127.0.0.1:8000/          | loopback
            http://localhost/x              | loopback
            http://LOCALHOST./x             | loopback
            http://api.localhost:8080/      | loopback
            http://[::1]:3000/              | loopback
            http://[::ffff:7f00:1]/         | loopback
            https://169.254.169.254/latest  | metadata
            http://[fd00:ec2::254]/         | metadata
            http://10.0.0.1/                | private
            http://0.0.0.0:3000/            | unspecified
            ftp://example.com/              | only http and https
            file:///etc/passwd              | only http and https
            gopher://127.0.0.1/             | only http and https
            http://under_score.example/     | no valid host name
            """)
    void aUrlIsRefusedWhenItsSchemeOrLiteralHostSaysSo(String url, String reason) {
        assertThat(DEPLOYED.refusal(URI.create(url))).hasValueSatisfying(r -> assertThat(r).contains(reason));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://example.com/", "http://93.184.216.34/", "https://[2606:4700::1111]/", "HTTPS://Example.COM",
            "http://some-internal-name/"})
    void aUrlWhoseHostIsPublicOrANameIsLeftToTheConnection(String url) {
        assertThat(DEPLOYED.refusal(URI.create(url))).isEmpty();
    }

    @Test
    void localModeAcceptsLocalhostUrlsExceptOnTheStacksPorts() {
        assertThat(LOCAL.refusal(URI.create("http://localhost:9999/hook"))).isEmpty();
        assertThat(LOCAL.refusal(URI.create("http://127.0.0.1:8000/"))).isPresent();
        assertThat(LOCAL.refusal(URI.create("http://localhost:3000/v1/metronomes"))).isPresent();
    }

    @Test
    void literalsAreParsedWithoutAnyLookup() {
        assertThat(EgressPolicy.literal("example.com")).isEmpty();
        assertThat(EgressPolicy.literal("1.2.3.4.5")).isEmpty();
        assertThat(EgressPolicy.literal("256.1.1.1")).isEmpty();
        assertThat(EgressPolicy.literal("[::1]")).contains(ip("::1"));
        assertThat(EgressPolicy.literal("127.000.000.001")).contains(ip("127.0.0.1"));
    }
}
