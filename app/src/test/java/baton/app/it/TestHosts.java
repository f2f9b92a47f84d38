package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A test's own hosts: one network namespace each, joined by veth pairs to a bridge in a namespace of its own, on a
 * private subnet that exists only inside them. Only these addresses are ever contacted. Needs root and iproute2;
 * {@link #close()} deletes every namespace it made (and with them their links), also when the test failed.
 *
 * <p>Processes run in a host through {@code ip netns exec}, which execs the command, so the pid the test holds is
 * the JVM's own (bin/baton execs java too).
 */
final class TestHosts implements AutoCloseable {

  private static final String[] IP_PATHS = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"};

  private final String ip;
  private final String prefix;
  private final String hub;
  private final Map<String, String> addresses = new LinkedHashMap<>();
  private final List<String> namespaces = new ArrayList<>();

  private TestHosts(String ip, String prefix) {
    this.ip = ip;
    this.prefix = prefix;
    this.hub = prefix + "-hub";
  }

  /**
   * Makes the hosts, named as given, with addresses {@code subnet.1}, {@code subnet.2}, ... in that order. Skips the
   * test (one line saying why) when this process may not make namespaces; under {@code CI=true} it fails instead,
   * since CI runs as root.
   */
  static TestHosts create(String subnet, List<String> names) throws Exception {
    String ip = null;
    for (String candidate : IP_PATHS) {
      if (Files.isExecutable(Path.of(candidate))) {
        ip = candidate;
        break;
      }
    }
    String prefix = "bt" + ProcessHandle.current().pid() % 100_000;
    TestHosts hosts = new TestHosts(ip, prefix);
    String why = ip == null ? "iproute2's ip is not installed" : hosts.tryAddNamespace(hosts.hub);
    if (why != null) {
      String message = "needs root and iproute2 to make network namespaces (ip netns add): " + why
          + "; run it as root, as CI does";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(message);
      }
      assumeTrue(false, message);
    }
    try {
      hosts.ipIn(hosts.hub, "link", "add", "br0", "type", "bridge");
      hosts.ipIn(hosts.hub, "link", "set", "br0", "up");
      int number = 1;
      for (String name : names) {
        hosts.addHost(name, subnet + "." + number, number);
        number++;
      }
      return hosts;
    } catch (Exception | AssertionError e) {
      hosts.close();
      throw e;
    }
  }

  /** The address of a host, on its {@code eth0}. */
  String address(String host) {
    return addresses.get(host);
  }

  /** The command that runs the given one inside the host's namespace. */
  List<String> in(String host, List<String> command) {
    List<String> full = new ArrayList<>(List.of(ip, "netns", "exec", namespace(host)));
    full.addAll(command);
    return full;
  }

  /** Cuts the host's link ({@code ip link set eth0 down} inside it): its packets go nowhere, as a pulled cable. */
  void cut(String host) throws Exception {
    ipIn(namespace(host), "link", "set", "eth0", "down");
  }

  /** Puts the host's link back up. */
  void restore(String host) throws Exception {
    ipIn(namespace(host), "link", "set", "eth0", "up");
  }

  @Override
  public void close() throws Exception {
    for (int i = namespaces.size() - 1; i >= 0; i--) {
      run(List.of(ip, "netns", "del", namespaces.get(i)));
    }
    namespaces.clear();
  }

  private String namespace(String host) {
    return prefix + "-" + host;
  }

  private void addHost(String name, String address, int number) throws Exception {
    String namespace = namespace(name);
    String inside = prefix + "h" + number;
    String outside = prefix + "s" + number;
    String why = tryAddNamespace(namespace);
    assertTrue(why == null, "ip netns add " + namespace + ": " + why);
    ip("link", "add", inside, "netns", namespace, "type", "veth", "peer", "name", outside, "netns", hub);
    ipIn(hub, "link", "set", outside, "master", "br0");
    ipIn(hub, "link", "set", outside, "up");
    ipIn(namespace, "link", "set", inside, "name", "eth0");
    ipIn(namespace, "addr", "add", address + "/24", "dev", "eth0");
    ipIn(namespace, "link", "set", "eth0", "up");
    ipIn(namespace, "link", "set", "lo", "up");
    addresses.put(name, address);
  }

  /** Adds a namespace and remembers it for {@link #close()}; null when that worked, else why not. */
  private String tryAddNamespace(String namespace) throws IOException, InterruptedException {
    Result result = run(List.of(ip, "netns", "add", namespace));
    if (result.exit != 0) {
      return result.output.strip();
    }
    namespaces.add(namespace);
    return null;
  }

  private void ipIn(String namespace, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("-n", namespace));
    command.addAll(List.of(args));
    ip(command.toArray(String[]::new));
  }

  private void ip(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ip));
    command.addAll(List.of(args));
    Result result = run(command);
    assertTrue(result.exit == 0, String.join(" ", command) + " failed: " + result.output);
  }

  record Result(int exit, String output) {
  }

  /** Runs a short command to its end (within two minutes) and returns its exit code and output. */
  static Result run(List<String> command) throws IOException, InterruptedException {
    return run(command, null, Map.of());
  }

  /**
   * The same in a working directory (null: this process's), with only the given environment when it is not empty,
   * and its output and errors together.
   */
  static Result run(List<String> command, Path workDir, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (workDir != null) {
      builder.directory(workDir.toFile());
    }
    if (!env.isEmpty()) {
      builder.environment().clear();
      builder.environment().putAll(env);
    }
    Process process = builder.start();
    try {
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        throw new AssertionError(command + " did not end within 120 s: " + output);
      }
      return new Result(process.exitValue(), output);
    } finally {
      process.destroyForcibly();
    }
  }
}
