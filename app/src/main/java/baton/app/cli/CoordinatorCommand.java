package baton.app.cli;

import baton.app.CoordinatorService;
import baton.app.logging.LogSetup;
import baton.app.tls.TlsFolder;
import baton.app.tls.TlsProblem;
import baton.app.tls.TlsRefusals;
import baton.coordinator.CoordinatorSettings;
import baton.coordinator.Journal;
import baton.node.ClusterSetup;
import baton.node.NodeSettings;
import baton.protocol.op.Reasons;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code baton coordinator}: the cluster's seed, the coordinator actor, the io stages and the HTTP API. */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
    description = {"Runs the coordinator: a cluster member with role 'coordinator' and the cluster's seed. "
        + "Serves the HTTP API that the client commands use. Several coordinators (--seed, on one --journal-url) "
        + "form one cluster: the oldest runs the jobs, the others stand by and take over when it goes. "
        + "Stop it with Ctrl-C or SIGTERM."})
final class CoordinatorCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address to bind the cluster port and the HTTP API to (default: ${DEFAULT-VALUE}). "
          + "Beyond loopback the API needs a token: BATON_TOKEN or baton.http.token.")
  String host;

  @Option(names = "--port", defaultValue = "2551", description = "Cluster port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--http-port", defaultValue = "8551", description = "HTTP API port (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--log-dir", paramLabel = "DIR", defaultValue = "logs",
      description = "Where coordinator-<port>.log and jobs/<id>.log go (default: ${DEFAULT-VALUE}).")
  Path logDir;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
      description = "Where the journal of jobs and their progress is kept; a coordinator started again on the same "
          + "folder resumes its unfinished jobs (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--seed", paramLabel = "HOST:PORT",
      description = "A coordinator's cluster address (repeatable): the coordinators form one cluster, the jobs run "
          + "on the oldest and the others stand by. Give every coordinator the same list, itself included; the "
          + "first in it starts the cluster when none runs. Needs a journal they share (--journal-url). Default: "
          + "this coordinator alone.")
  List<String> seedOptions;

  @Option(names = "--journal-url", paramLabel = "URL",
      description = "Keep the journal in PostgreSQL instead of --data-dir: jdbc:postgresql://HOST:PORT/DATABASE"
          + "?user=USER. The tables are made on first start. Give the password in BATON_JOURNAL_PASSWORD (or "
          + "baton.journal.db.password) rather than in the URL, which `ps` shows.")
  String journalUrl;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "0",
      description = "CPU workers to run in this process too (default: ${DEFAULT-VALUE}, none).")
  int workers;

  @Option(names = "--classpath", paramLabel = "PATH", description = "Jars or folders with user ops.")
  String classpath;

  @Option(names = "--tls", paramLabel = "DIR",
      description = "A member's folder from `baton certs issue`: the cluster port takes only members with a "
          + "certificate from the same CA (mutual TLS), and the API is served over HTTPS (default: $BATON_TLS).")
  Path tls;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Launch launch;
    Optional<TlsFolder> tlsFolder;
    Optional<SSLContext> https;
    List<String> seeds;
    try {
      Launch.checkPort("--port", port, false);
      Launch.checkPort("--http-port", httpPort, true);
      if (workers < 0) {
        throw new Launch.UserError("--workers must be 0 or more, got " + workers);
      }
      seeds = Launch.seeds(seedOptions, host + ":" + port);
      // The value is not repeated: it may hold a password.
      if (journalUrl != null && !journalUrl.startsWith("jdbc:postgresql:")) {
        throw new Launch.UserError("--journal-url takes a PostgreSQL URL, jdbc:postgresql://HOST:PORT/DATABASE"
            + "?user=USER (without it the journal is an embedded H2 in --data-dir)");
      }
      launch = Launch.load(classpath);
      String journal = journalUrl != null ? journalUrl : launch.config().getString("baton.journal.db.url");
      if (seeds.stream().anyMatch(seed -> !seed.equals(host + ":" + port))
          && !journal.startsWith("jdbc:postgresql:")) {
        // The jobs move to another coordinator when this one goes; it must find them in the same journal.
        throw new Launch.UserError("coordinators in one cluster must share one journal, and --seed names another "
            + "coordinator: give every coordinator the same --journal-url jdbc:postgresql://HOST:PORT/DATABASE"
            + "?user=USER (the journal in --data-dir is this coordinator's alone)");
      }
      tlsFolder = Launch.tls(tls, host);
      https = tlsFolder.isPresent() ? Optional.of(tlsFolder.get().serverContext()) : Optional.empty();
      if (launch.config().getString("baton.http.token").isEmpty() && !CoordinatorService.isLoopback(host)) {
        throw new Launch.UserError("--host " + host + " is not a loopback address, so the API would be open to "
            + "anyone who can reach it: set a token in BATON_TOKEN (or baton.http.token) and give it to clients");
      }
    } catch (Launch.UserError | TlsProblem e) {
      err.println("baton: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    }
    // Named for its cluster port, as a node's log is: two coordinators on one log folder keep their logs apart.
    LogSetup.configure(logDir, "coordinator-" + port + ".log");
    Config member = ClusterSetup.member(launch.config(), "coordinator", host, port, seeds);
    Config withDataDir = tlsFolder.map(folder -> folder.clusterConfig(member)).orElse(member)
        .withValue("baton.coordinator.data-dir",
        ConfigValueFactory.fromAnyRef(dataDir.toAbsolutePath().normalize().toString()));
    if (journalUrl != null) {
      withDataDir = withDataDir.withValue("baton.journal.db.url", ConfigValueFactory.fromAnyRef(journalUrl));
    }
    Config config = Journal.withDatabase(withDataDir);
    try {
      Journal.open(config);
    } catch (Journal.CannotOpen e) {
      err.println("baton: " + e.getMessage());
      return switch (e.kind()) {
        case BAD_URL -> ExitCodes.BAD_INPUT;
        case UNREACHABLE -> ExitCodes.JOURNAL_UNREACHABLE;
        case REFUSED -> ExitCodes.CANNOT_START;
      };
    }
    Optional<NodeSettings> localNode = workers > 0
        ? Optional.of(NodeSettings.from(config).withWorkers(workers)) : Optional.empty();
    CompletableFuture<ServerBinding> bound = new CompletableFuture<>();
    ActorSystem<Void> system;
    try {
      system = ActorSystem.create(CoordinatorService.create(CoordinatorSettings.from(config), launch.registry(),
          localNode, new CoordinatorService.HttpSettings(host, httpPort,
              config.getBytes("baton.http.max-spec-bytes"), logDir.toAbsolutePath(), https), bound),
          ClusterSetup.SYSTEM_NAME, config);
      if (tlsFolder.isPresent()) {
        TlsRefusals.start(system);
      }
    } catch (RuntimeException e) {
      err.println("baton: cannot start the coordinator on " + host + ":" + port + ": " + rootMessage(e));
      return ExitCodes.CANNOT_START;
    }
    try {
      ServerBinding binding = bound.get();
      err.printf("baton: coordinator up: cluster pekko://%s@%s:%d%s, API %s://%s:%d, logs in %s%n",
          ClusterSetup.SYSTEM_NAME, host, port, tlsFolder.isPresent() ? " (mutual TLS)" : "",
          https.isPresent() ? "https" : "http", host, binding.localAddress().getPort(), logDir.toAbsolutePath());
      err.flush();
    } catch (ExecutionException e) {
      err.println("baton: cannot serve the API on " + host + ":" + httpPort + ": " + rootMessage(e));
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
      return ExitCodes.CANNOT_START;
    }
    system.getWhenTerminated().toCompletableFuture().join();
    Optional<CoordinatedShutdown.Reason> reason = CoordinatedShutdown.get(system).getShutdownReason();
    if (reason.filter(CoordinatedShutdown.clusterDowningReason()::equals).isPresent()) {
      err.println("baton: the cluster downed this coordinator (it lost sight of the other members, and the split "
          + "brain resolver kept their side); start it again to join them");
      err.flush();
    }
    return exitCode(reason);
  }

  /**
   * 75 when starting the coordinator again may help: the guardian shut it down because the journal stayed down (it
   * logged why), or the cluster downed it (cut off from the other members); else 0.
   */
  static int exitCode(Optional<CoordinatedShutdown.Reason> reason) {
    boolean again = reason.filter(why -> why.equals(CoordinatorService.JournalUnreachable.INSTANCE)
        || why.equals(CoordinatedShutdown.clusterDowningReason())).isPresent();
    return again ? ExitCodes.JOURNAL_UNREACHABLE : ExitCodes.SUCCEEDED;
  }

  static String rootMessage(Throwable e) {
    return Reasons.text(Reasons.root(e));
  }
}
