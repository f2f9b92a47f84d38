package baton.app.cli;

import baton.app.logging.LogSetup;
import baton.app.tls.TlsFolder;
import baton.app.tls.TlsRefusals;
import baton.node.ClusterSetup;
import baton.node.Node;
import baton.node.NodeSettings;
import com.typesafe.config.Config;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code baton node}: a cluster member with a pool of cpu workers that pull work from the coordinator. */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = {"Runs a worker node: a cluster member with role 'node' and a pool of cpu worker actors. "
        + "Start as many as you like. Ctrl-C or SIGTERM leaves the cluster gracefully. When the cluster lets the "
        + "node go (downed, or the coordinator was lost or stopped), it starts afresh and joins the seed again."})
final class NodeCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address to bind the cluster port to (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "0", description = "Cluster port; 0 picks a free one (default).")
  int port;

  @Option(names = "--seed", paramLabel = "HOST:PORT",
      description = "A coordinator's cluster address; repeat it to name every coordinator, so that the node finds "
          + "whichever is up (default: 127.0.0.1:2551).")
  List<String> seedOptions;

  @Option(names = "--workers", paramLabel = "N",
      description = "CPU worker actors (default: baton.node.workers, 0 = one per core).")
  Integer workers;

  @Option(names = "--log-dir", paramLabel = "DIR", defaultValue = "logs",
      description = "Where node-<port>.log goes (default: ${DEFAULT-VALUE}).")
  Path logDir;

  @Option(names = "--classpath", paramLabel = "PATH", description = "Jars or folders with user ops.")
  String classpath;

  @Option(names = "--tls", paramLabel = "DIR",
      description = "A member's folder from `baton certs issue`: talk to the cluster over mutual TLS, with a "
          + "certificate from the cluster's CA (default: $BATON_TLS).")
  Path tls;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Launch launch;
    Optional<TlsFolder> tlsFolder;
    int chosenPort;
    List<String> seeds;
    try {
      Launch.checkPort("--port", port, true);
      seeds = Launch.seeds(seedOptions, "127.0.0.1:2551");
      if (workers != null && workers < 1) {
        throw new Launch.UserError("--workers must be at least 1, got " + workers);
      }
      launch = Launch.load(classpath);
      tlsFolder = Launch.tls(tls, host);
      chosenPort = port == 0 ? Launch.freePort(host) : port;
    } catch (Launch.UserError e) {
      err.println("baton: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    }
    System.setProperty("baton.log.file", "node-" + chosenPort + ".log");
    System.setProperty("baton.log.jobs", "false");
    LogSetup.configure(logDir);
    Config member = ClusterSetup.member(launch.config(), "node", host, chosenPort, seeds);
    String seed = String.join(", ", seeds);
    Config config = tlsFolder.map(folder -> folder.clusterConfig(member)).orElse(member);
    NodeSettings settings = NodeSettings.from(config).withWorkers(workers == null ? 0 : workers);
    String address = "pekko://" + ClusterSetup.SYSTEM_NAME + "@" + host + ":" + chosenPort;
    Consumer<String> notices = line -> {
      err.println("baton: " + line);
      err.flush();
    };
    ActorSystem<Void> system;
    try {
      system = ActorSystem.create(Node.guardian(launch.registry(), settings, notices), ClusterSetup.SYSTEM_NAME,
          config);
      if (tlsFolder.isPresent()) {
        TlsRefusals.start(system);
      }
    } catch (RuntimeException e) {
      err.println("baton: cannot start the node on " + host + ":" + chosenPort + ": "
          + CoordinatorCommand.rootMessage(e));
      return ExitCodes.CANNOT_START;
    }
    err.printf("baton: node up: %s with %d workers, joining %s%s; log %s%n", address, settings.workers(), seed,
        tlsFolder.isPresent() ? " over mutual TLS" : "", logDir.resolve("node-" + chosenPort + ".log"));
    err.flush();
    // Looked up here, not in a static field: picocli makes every command to build `baton --help`, and a logger made
    // then would start Logback (and its log file) for client commands too.
    Logger log = LoggerFactory.getLogger(NodeCommand.class);
    // The cluster may let the node go: downed after a long pause or a network split, or downing itself because
    // the coordinator was lost. A node is only useful in the cluster, so it starts afresh and joins the seed
    // again; only a JVM shutdown (Ctrl-C, SIGTERM), which has left the cluster gracefully, ends the process.
    while (true) {
      system.getWhenTerminated().toCompletableFuture().join();
      Optional<CoordinatedShutdown.Reason> reason = CoordinatedShutdown.get(system).getShutdownReason();
      if (reason.isPresent() && reason.get().equals(CoordinatedShutdown.jvmExitReason())) {
        return ExitCodes.SUCCEEDED;
      }
      String why = reason.map(NodeCommand::describe).orElse("it stopped for no reason given");
      log.warn("the node left the cluster ({}); starting afresh in {} ms and joining {} again", why,
          settings.rejoinDelay().toMillis(), seed);
      err.printf("baton: the node left the cluster (%s); joining %s again%n", why, seed);
      err.flush();
      TimeUnit.MILLISECONDS.sleep(settings.rejoinDelay().toMillis());
      try {
        system = ActorSystem.create(Node.guardian(launch.registry(), settings, notices), ClusterSetup.SYSTEM_NAME,
            config);
        if (tlsFolder.isPresent()) {
          TlsRefusals.start(system);
        }
        log.info("node up again: {}, joining {}", address, seed);
      } catch (RuntimeException e) {
        // Most likely the port is not free yet; the old system's failure reason says what to do next.
        log.warn("cannot start the node again on {}: {}; trying again", address, CoordinatorCommand.rootMessage(e));
      }
    }
  }

  private static String describe(CoordinatedShutdown.Reason reason) {
    if (reason.equals(CoordinatedShutdown.clusterDowningReason())) {
      return "downed: the other members lost sight of it, or it lost sight of the coordinator";
    }
    if (reason.equals(CoordinatedShutdown.clusterLeavingReason())) {
      return "it followed the coordinator, which left the cluster";
    }
    if (reason.equals(CoordinatedShutdown.clusterJoinUnsuccessfulReason())) {
      return "could not join the seed";
    }
    return reason.toString();
  }
}
