package baton.app;

import baton.coordinator.CodeStore;
import baton.coordinator.Coordinator;
import baton.coordinator.CoordinatorSettings;
import baton.coordinator.JournalSettings;
import baton.coordinator.JournalWatch;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.http.HttpApi;
import baton.coordinator.spec.JobSpecParser;
import baton.node.ClusterSetup;
import baton.node.Node;
import baton.node.NodeSettings;
import baton.protocol.op.OpRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;

/**
 * The guardian of a {@code baton coordinator} process: the {@link JobOwner} (coordinator actor, the dispatcher nodes
 * pull from, the code server; in a cluster a singleton on the oldest coordinator, which this process may or may not
 * be), an optional local worker pool, the HTTP API, which asks the owner wherever it runs, and the
 * {@link JournalWatch}. On shutdown the owner, if it runs here, first stops taking jobs; then the API unbinds. When the journal stays down past {@code baton.journal.max-down}, it shuts the process down with the
 * reason {@link JournalUnreachable}, for the command to turn into an exit code.
 */
public final class CoordinatorService {

  /** Why the process shut down: the journal did not work for longer than {@code baton.journal.max-down}. */
  public enum JournalUnreachable implements CoordinatedShutdown.Reason { INSTANCE }

  /** Where the API listens, how large a submitted spec may be, and the TLS context when it serves HTTPS. */
  public record HttpSettings(String host, int port, long maxSpecBytes, Path logDir, Optional<SSLContext> https) {

    /** Plain HTTP. */
    public HttpSettings(String host, int port, long maxSpecBytes, Path logDir) {
      this(host, port, maxSpecBytes, logDir, Optional.empty());
    }
  }

  /** The name of the singleton that owns the jobs ({@link JobOwner}), and of its actor. */
  static final String JOB_OWNER = "jobs";

  private CoordinatorService() {
  }

  /**
   * @param localNode a worker pool to run in this process too, if present
   * @param bound completes with the HTTP binding, or with the reason it failed
   */
  public static Behavior<Void> create(CoordinatorSettings settings, OpRegistry registry,
      Optional<NodeSettings> localNode, HttpSettings http, CompletableFuture<ServerBinding> bound) {
    return Behaviors.setup(context -> {
      ActorRef<JournalWatch.Command> journal =
          context.spawn(JournalWatch.create(JournalSettings.get(context.getSystem())), "journal-watch");
      // The watch stops only when it gives up on the journal.
      context.watch(journal);
      // Jobs may bring their own ops (submit --classpath): kept by hash, handed to nodes by the code server.
      CodeStore code = CodeStore.open(context.getSystem().settings().config());
      JobSpecParser parser = new JobSpecParser(registry, settings.job())
          .withBundles(hash -> code.registry(registry, hash));
      Behavior<JobOwner.Command> owner = JobOwner.create(settings, parser, code);
      // In a cluster the jobs have one owner, on the oldest coordinator; the others stand by and ask it.
      ActorRef<JobOwner.Command> jobs = isClustered(context.getSystem())
          ? ClusterSingleton.get(context.getSystem()).init(SingletonActor.of(owner, JOB_OWNER)
              .withStopMessage(JobOwner.Stop.INSTANCE)
              .withSettings(ClusterSingletonSettings.create(context.getSystem())
                  .withRole(ClusterSetup.COORDINATOR_ROLE)))
          : context.spawn(owner, JOB_OWNER);
      ActorRef<Coordinator.Command> coordinator =
          context.spawn(SingletonLink.coordinator(jobs, settings.askTimeout()), "coordinator");
      ActorRef<WorkDispatcher.Command> dispatcher =
          context.spawn(SingletonLink.dispatcher(jobs, settings.askTimeout()), "dispatcher");
      localNode.ifPresent(node -> Node.start(context, registry, node));

      HttpApi api = new HttpApi(context.getSystem(), coordinator, dispatcher, journal, http.logDir(),
          http.maxSpecBytes()).withCode(code, isLoopback(http.host()));
      ServerBuilder plain = Http.get(context.getSystem()).newServerAt(http.host(), http.port());
      ServerBuilder server = http.https().map(tls -> plain.enableHttps(ConnectionContext.httpsServer(tls)))
          .orElse(plain);
      server.bind(api.routes())
          .whenComplete((binding, failure) -> {
            if (failure != null) {
              bound.completeExceptionally(failure);
            } else {
              binding.addToCoordinatedShutdown(settings.httpUnbindTimeout(), context.getSystem());
              bound.complete(binding);
            }
          });
      return Behaviors.receive(Void.class)
          .onSignal(Terminated.class, terminated -> {
            CoordinatedShutdown.get(context.getSystem()).runAll(JournalUnreachable.INSTANCE);
            return Behaviors.same();
          })
          .build();
    });
  }

  private static boolean isClustered(ActorSystem<?> system) {
    return system.settings().config().getString("pekko.actor.provider").equals("cluster");
  }

  /** Whether {@code host} names a loopback address (false when it cannot be resolved). */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
