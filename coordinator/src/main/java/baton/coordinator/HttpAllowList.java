package baton.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which addresses {@code http-get} may reach ({@code baton.io.http.allow}). A key is hostile input, so public
 * addresses are allowed, link-local ones (cloud metadata at 169.254.169.254) never, and loopback, private,
 * unspecified and multicast ones only when the list names the URL's host ({@code localhost}, {@code *.internal}) or
 * holds a CIDR that contains the address ({@code 127.0.0.0/8}). The decision is on an address already resolved, so
 * a name that resolves to a private address is refused like the address itself.
 */
final class HttpAllowList {

  static final String SETTING = "baton.io.http.allow";

  // Octets of at most 255 without leading zeros: anything else InetAddress would look up as a name.
  private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
  private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");

  private record Cidr(byte[] network, int prefix) {

    boolean contains(InetAddress address) {
      byte[] bytes = address.getAddress();
      if (bytes.length != network.length) {
        return false;
      }
      for (int bit = 0; bit < prefix; bit++) {
        int mask = 0x80 >>> (bit % 8);
        if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  private final List<String> hosts;
  private final List<String> suffixes;
  private final List<Cidr> cidrs;

  private HttpAllowList(List<String> hosts, List<String> suffixes, List<Cidr> cidrs) {
    this.hosts = hosts;
    this.suffixes = suffixes;
    this.cidrs = cidrs;
  }

  /** The list in {@code baton.io.http.allow}; a bad entry is a bad configuration. */
  static HttpAllowList from(Config config) {
    return of(config.getStringList(SETTING));
  }

  /**
   * The given entries: host names, {@code *.}suffixes, addresses and CIDRs.
   *
   * @throws ConfigException.BadValue for an entry that is none of these
   */
  static HttpAllowList of(List<String> entries) {
    List<String> hosts = new ArrayList<>();
    List<String> suffixes = new ArrayList<>();
    List<Cidr> cidrs = new ArrayList<>();
    for (String raw : entries) {
      String entry = raw.strip().toLowerCase(Locale.ROOT);
      int slash = entry.indexOf('/');
      String address = slash < 0 ? entry : entry.substring(0, slash);
      if (isLiteral(address)) {
        cidrs.add(cidr(raw, address, slash < 0 ? null : entry.substring(slash + 1)));
      } else if (slash < 0 && entry.startsWith("*.") && isName(entry.substring(2))) {
        suffixes.add(entry.substring(1));
      } else if (slash < 0 && isName(entry)) {
        hosts.add(entry);
      } else {
        throw bad(raw, "is not a host name, *.suffix, address or CIDR");
      }
    }
    return new HttpAllowList(List.copyOf(hosts), List.copyOf(suffixes), List.copyOf(cidrs));
  }

  /**
   * Why a request to {@code host} (as written in the URL) at {@code address}, port {@code port}, is refused; empty
   * when it may be sent. Pure: it resolves nothing and connects nowhere.
   */
  Optional<String> refusal(String host, InetAddress address, int port) {
    String kind = kind(address);
    if (kind.isEmpty()) {
      return Optional.empty();
    }
    String target = target(host, address, port);
    if (kind.equals("link-local")) {
      return Optional.of("refused " + target + ": link-local addresses (such as cloud metadata at 169.254.169.254)"
          + " are refused whatever " + SETTING + " says (see README Limits)");
    }
    if (allowsName(host) || cidrs.stream().anyMatch(cidr -> cidr.contains(address))) {
      return Optional.empty();
    }
    return Optional.of("refused " + target + ": " + kind + " addresses need " + SETTING + " (see README Limits)");
  }

  private boolean allowsName(String host) {
    String name = host.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    if (isLiteral(name)) {
      return false;
    }
    String finalName = name;
    return hosts.contains(name) || suffixes.stream().anyMatch(suffix -> finalName.endsWith(suffix)
        && finalName.length() > suffix.length());
  }

  /** What kind of restricted address this is ("loopback", "private", ...), or empty for a public one. */
  private static String kind(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (address instanceof Inet4Address) {
      return kind4(bytes[0] & 0xff, bytes[1] & 0xff);
    }
    int b0 = bytes[0] & 0xff;
    int b1 = bytes[1] & 0xff;
    // An IPv4 address inside an IPv6 one (compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) reaches the
    // IPv4 address, so it is judged as that.
    boolean loopbackOrUnspecified = allZero(bytes, 0, 15) && (bytes[15] == 0 || bytes[15] == 1);
    if (allZero(bytes, 0, 12) && !loopbackOrUnspecified) {
      return kind4(bytes[12] & 0xff, bytes[13] & 0xff);
    }
    boolean nat64 = b0 == 0x00 && b1 == 0x64 && (bytes[2] & 0xff) == 0xff && (bytes[3] & 0xff) == 0x9b
        && allZero(bytes, 4, 12);
    if (nat64) {
      return kind4(bytes[12] & 0xff, bytes[13] & 0xff);
    }
    if (b0 == 0x20 && b1 == 0x02) {
      return kind4(bytes[2] & 0xff, bytes[3] & 0xff);
    }
    if (b0 == 0xfe && (b1 & 0xc0) == 0x80) {
      return "link-local";
    }
    if (address.isLoopbackAddress()) {
      return "loopback";
    }
    if (address.isAnyLocalAddress()) {
      return "unspecified";
    }
    if ((b0 & 0xfe) == 0xfc || (b0 == 0xfe && (b1 & 0xc0) == 0xc0)) {
      return "private";
    }
    if (b0 == 0xff) {
      return "multicast";
    }
    return "";
  }

  private static String kind4(int b0, int b1) {
    if (b0 == 169 && b1 == 254) {
      return "link-local";
    }
    if (b0 == 127) {
      return "loopback";
    }
    if (b0 == 0) {
      // 0.0.0.0 reaches the local host on Linux.
      return "unspecified";
    }
    // 10/8, 172.16/12, 192.168/16, and 100.64/10 (carrier-grade NAT, also inside some clouds).
    if (b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168)
        || (b0 == 100 && (b1 & 0xc0) == 64)) {
      return "private";
    }
    if (b0 >= 224) {
      return "multicast";
    }
    return "";
  }

  private static boolean allZero(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static String target(String host, InetAddress address, int port) {
    String literal = address.getHostAddress();
    if (isLiteral(host)) {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
    return host + ":" + port + " (" + literal + ")";
  }

  /** An IP address written out, which InetAddress parses without a lookup. */
  static boolean isLiteral(String text) {
    return IPV4.matcher(text).matches() || IPV6.matcher(text).matches();
  }

  private static boolean isName(String text) {
    for (String label : text.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return !text.isEmpty();
  }

  private static Cidr cidr(String raw, String address, String prefixText) {
    byte[] network;
    try {
      network = InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      throw bad(raw, "is not an address");
    }
    int bits = network.length * 8;
    int prefix;
    try {
      prefix = prefixText == null ? bits : Integer.parseInt(prefixText);
    } catch (NumberFormatException e) {
      throw bad(raw, "has no whole number after /");
    }
    if (prefix < 0 || prefix > bits) {
      throw bad(raw, "has a prefix outside 0.." + bits);
    }
    return new Cidr(network, prefix);
  }

  private static ConfigException.BadValue bad(String entry, String why) {
    return new ConfigException.BadValue(SETTING, "'" + entry + "' " + why);
  }
}
