package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The decision of baton.io.http.allow, on addresses given as literals: nothing here resolves a name or opens a
 * connection, so addresses beyond loopback can be checked without any traffic to them.
 */
final class HttpAllowListTest {

  private static final HttpAllowList NONE = HttpAllowList.of(List.of());
  private static final HttpAllowList EVERYTHING = HttpAllowList.of(List.of("0.0.0.0/0", "::/0", "localhost",
      "*.internal", "metadata.google.internal", "169.254.169.254", "fe80::/10"));

  @Test
  void linkLocal_refusedEvenWhenTheListCoversIt() throws Exception {
    for (String address : List.of("169.254.169.254", "169.254.0.1", "fe80::1", "febf::1",
        "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1")) {
      for (String host : List.of(address, "metadata.google.internal")) {
        String reason = refusal(EVERYTHING, host, address).orElseThrow(() -> new AssertionError(address));
        assertTrue(reason.contains("link-local"), reason);
        assertTrue(reason.contains("baton.io.http.allow"), reason);
      }
    }
  }

  @Test
  void loopbackPrivateAndUnspecified_refusedByDefault_withAReasonNamingTheSetting() throws Exception {
    for (String address : List.of("127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "100.64.0.1", "0.0.0.0", "::", "fc00::1", "fd12:3456::1", "224.0.0.1", "ff02::1",
        "255.255.255.255", "::ffff:10.1.2.3", "::127.0.0.1", "fec0::1")) {
      String reason = refusal(NONE, address, address).orElseThrow(() -> new AssertionError(address));
      assertTrue(reason.startsWith("refused "), reason);
      assertTrue(reason.contains("need baton.io.http.allow (see README Limits)"), reason);
    }
  }

  @Test
  void loopback_reasonNamesTheAddressAndPort() throws Exception {
    assertEquals(Optional.of("refused 127.0.0.1:8080: loopback addresses need baton.io.http.allow (see README Limits)"),
        NONE.refusal("127.0.0.1", InetAddress.getByName("127.0.0.1"), 8080));
    assertEquals(Optional.of("refused localhost:80 (127.0.0.1): loopback addresses need baton.io.http.allow"
        + " (see README Limits)"), NONE.refusal("localhost", InetAddress.getByName("127.0.0.1"), 80));
    assertEquals(Optional.of("refused [::1]:443: loopback addresses need baton.io.http.allow (see README Limits)"),
        NONE.refusal("::1", InetAddress.getByName("::1"), 443));
  }

  @Test
  void publicAddresses_allowedWithoutAList() throws Exception {
    for (String address : List.of("93.184.216.34", "8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.1",
        "169.253.255.255", "169.255.0.1", "192.169.0.1", "2606:4700::1111")) {
      assertEquals(Optional.empty(), refusal(NONE, "example.org", address), address);
    }
  }

  @Test
  void loopbackCidr_allowsLoopbackOnly() throws Exception {
    HttpAllowList loopback = HttpAllowList.of(List.of("127.0.0.0/8"));

    assertEquals(Optional.empty(), refusal(loopback, "127.0.0.1", "127.0.0.1"));
    assertEquals(Optional.empty(), refusal(loopback, "localhost", "127.9.9.9"));
    assertTrue(refusal(loopback, "::1", "::1").isPresent());
    assertTrue(refusal(loopback, "10.0.0.1", "10.0.0.1").isPresent());
    assertTrue(refusal(loopback, "169.254.169.254", "169.254.169.254").isPresent());
  }

  @Test
  void cidrs_matchTheirPrefixOnly() throws Exception {
    HttpAllowList list = HttpAllowList.of(List.of("10.1.0.0/16", "fd00:1::/32", "192.168.5.7"));

    assertEquals(Optional.empty(), refusal(list, "a", "10.1.255.3"));
    assertTrue(refusal(list, "a", "10.2.0.1").isPresent());
    assertEquals(Optional.empty(), refusal(list, "a", "fd00:1:ffff::9"));
    assertTrue(refusal(list, "a", "fd00:2::9").isPresent());
    assertEquals(Optional.empty(), refusal(list, "a", "192.168.5.7"));
    assertTrue(refusal(list, "a", "192.168.5.8").isPresent());
  }

  @Test
  void hostPatterns_matchTheNameInTheUrl_notTheAddress() throws Exception {
    HttpAllowList list = HttpAllowList.of(List.of("localhost", "*.internal"));

    assertEquals(Optional.empty(), refusal(list, "localhost", "127.0.0.1"));
    assertEquals(Optional.empty(), refusal(list, "LocalHost.", "::1"));
    assertEquals(Optional.empty(), refusal(list, "db.internal", "10.0.0.5"));
    assertEquals(Optional.empty(), refusal(list, "a.b.internal", "192.168.0.5"));
    assertTrue(refusal(list, "internal", "10.0.0.5").isPresent());
    assertTrue(refusal(list, "db.internal.example.org", "10.0.0.5").isPresent());
    assertTrue(refusal(list, "127.0.0.1", "127.0.0.1").isPresent());
    assertTrue(refusal(list, "notlocalhost", "127.0.0.1").isPresent());
  }

  @Test
  void badEntries_rejectedNamingTheSetting() {
    for (String entry : List.of("10.0.0.0/33", "::/129", "10.0.0/8", "*", "*.", "a..b", "http://x", "10.0.0.0/x",
        "")) {
      ConfigException.BadValue error =
          assertThrows(ConfigException.BadValue.class, () -> HttpAllowList.of(List.of(entry)), entry);
      assertTrue(error.getMessage().contains("baton.io.http.allow"), error.getMessage());
    }
  }

  @Test
  void from_readsTheSettingAndReferenceConfAllowsNothing() throws Exception {
    HttpAllowList reference = HttpAllowList.from(ConfigFactory.load());
    HttpAllowList set = HttpAllowList.from(ConfigFactory.parseString("baton.io.http.allow = [\"127.0.0.0/8\"]")
        .withFallback(ConfigFactory.load()));

    assertTrue(refusal(reference, "127.0.0.1", "127.0.0.1").isPresent());
    assertFalse(refusal(set, "127.0.0.1", "127.0.0.1").isPresent());
  }

  /** Literals only: InetAddress.getByName parses them without a lookup. */
  private static Optional<String> refusal(HttpAllowList list, String host, String literal)
      throws UnknownHostException {
    return list.refusal(host, InetAddress.getByName(literal), 80);
  }
}
