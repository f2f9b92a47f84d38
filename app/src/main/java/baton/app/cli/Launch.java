package baton.app.cli;

import baton.app.tls.TlsFolder;
import baton.app.tls.TlsProblem;
import baton.coordinator.BatonConfig;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.SpecException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What every process command loads first: the config and the ops, with user ops from lib/ and --classpath. */
record Launch(Config config, OpRegistry registry) {

  /** A problem the user can fix; the message says what. */
  static final class UserError extends Exception {
    UserError(String message) {
      super(message);
    }
  }

  static Launch load(String classpath) throws UserError {
    try {
      ClassLoader loader = UserOps.classLoader(UserOps.defaultLibDir(), classpath);
      Config config = BatonConfig.load(loader);
      return new Launch(config, OpRegistry.load(loader, config));
    } catch (IllegalArgumentException | SpecException e) {
      throw new UserError(e.getMessage());
    } catch (ConfigException e) {
      throw new UserError("bad configuration: " + e.getMessage());
    }
  }

  /**
   * The member's TLS folder from {@code --tls} or {@code BATON_TLS}, if any, checked to load and to name {@code host}:
   * peers verify that a member's certificate names the address they reach it at.
   */
  static Optional<TlsFolder> tls(Path flag, String host) throws UserError {
    Optional<Path> dir = TlsFolder.chosen(flag);
    if (dir.isEmpty()) {
      return Optional.empty();
    }
    try {
      TlsFolder folder = TlsFolder.member(dir.get());
      if (!folder.covers(host)) {
        throw new UserError("the certificate in " + dir.get() + " is for " + String.join(", ", folder.hosts())
            + ", not for --host " + host + ", and peers check that; issue one with `baton certs issue CA_DIR NAME "
            + "--host " + host + " --out DIR`");
      }
      return Optional.of(folder);
    } catch (TlsProblem e) {
      throw new UserError(e.getMessage());
    }
  }

  /**
   * The seeds given with {@code --seed}, each checked to be {@code HOST:PORT}; {@code fallback} when none was given.
   */
  static List<String> seeds(List<String> given, String fallback) throws UserError {
    if (given == null || given.isEmpty()) {
      return List.of(fallback);
    }
    for (String seed : given) {
      if (!seed.matches("[^:\\s]+:\\d{1,5}")) {
        throw new UserError("--seed must be HOST:PORT, such as 127.0.0.1:2551; got " + seed);
      }
    }
    return List.copyOf(given);
  }

  static void checkPort(String option, int port, boolean zeroAllowed) throws UserError {
    if (port < (zeroAllowed ? 0 : 1) || port > 65535) {
      throw new UserError(option + " must be between " + (zeroAllowed ? 0 : 1) + " and 65535, got " + port);
    }
  }

  /** A port that was free a moment ago on the host, for members started with --port 0. */
  static int freePort(String host) throws UserError {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UserError("cannot find a free port on " + host + ": " + e.getMessage());
    }
  }
}
