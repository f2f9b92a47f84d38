package baton.node;

import baton.protocol.op.OpRegistry;
import baton.protocol.spec.SpecException;
import baton.protocol.wire.CodeChunk;
import baton.protocol.wire.CodeRequest;
import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A node's copies of the code bundles jobs brought: it fetches a bundle from the coordinator's code server the first
 * time a batch names it (in chunks, each one message), checks its hash, keeps it in a temporary folder and loads it
 * in a class loader of its own, whose ops every batch naming that hash then uses. Two bundles, two loaders: two jobs
 * with different versions of one op each get their own. At most {@code baton.code.cached-bundles} stay loaded; the
 * longest unused goes first (its classes go once no worker holds one of its ops).
 */
public final class CodeCache extends AbstractBehavior<CodeCache.Command> {

  public interface Command {
  }

  /** Asks for the registry of the bundle {@code hash}; the answer comes when the bundle is here. */
  public record Get(String hash, ActorRef<Loaded> replyTo) implements Command {
  }

  /** The registry of a bundle, or why there is none. */
  public record Loaded(OpRegistry registry, String error) {
  }

  /** The node's settings for fetched code. */
  public record Settings(Duration fetchTimeout, int cachedBundles) {

    public static Settings from(Config config) {
      return new Settings(config.getDuration("baton.code.fetch-timeout"), config.getInt("baton.code.cached-bundles"));
    }
  }

  private record Servers(Receptionist.Listing listing) implements Command {
  }

  private record Chunk(CodeChunk chunk) implements Command {
  }

  private record Stored(String hash, OpRegistry registry, Throwable error) implements Command {
  }

  private record FetchTimedOut(String hash) implements Command {
  }

  /** A bundle on its way: who waits for it and its bytes so far. */
  private static final class Fetch {
    final List<ActorRef<Loaded>> waiting = new ArrayList<>();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean requested;
  }

  private final OpRegistry base;
  private final Settings settings;
  private final TimerScheduler<Command> timers;
  private final ActorRef<CodeChunk> chunks;
  private final Map<String, OpRegistry> loaded;
  private final Map<String, Fetch> fetching = new LinkedHashMap<>();
  private Set<ActorRef<CodeRequest>> servers = Set.of();
  private final Path dir;

  public static Behavior<Command> create(OpRegistry base, Settings settings) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new CodeCache(context, timers, base, settings)));
  }

  /**
   * The registry a node's workers make ops with: {@code base}, and for a batch that names a bundle the bundle's
   * registry, asked of {@code cache} (a worker waits for a bundle's first fetch, on its own thread).
   */
  public static OpRegistry registry(OpRegistry base, ActorRef<Command> cache, Settings settings,
      ActorContext<?> context) {
    Duration patience = settings.fetchTimeout().plusSeconds(5);
    Function<String, OpRegistry> bundles = hash -> {
      Loaded loaded = AskPattern.<Command, Loaded>ask(cache, replyTo -> new Get(hash, replyTo), patience,
          context.getSystem().scheduler()).toCompletableFuture().join();
      if (loaded.error() != null) {
        throw new SpecException(loaded.error());
      }
      return loaded.registry();
    };
    return base.withBundles(bundles);
  }

  private CodeCache(ActorContext<Command> context, TimerScheduler<Command> timers, OpRegistry base,
      Settings settings) {
    super(context);
    this.base = base;
    this.settings = settings;
    this.timers = timers;
    // Once, at start: a folder of this process's own for the bundles it fetches.
    try {
      this.dir = Files.createTempDirectory("baton-node-code");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a folder for fetched code: " + e.getMessage(), e);
    }
    dir.toFile().deleteOnExit();
    this.chunks = context.messageAdapter(CodeChunk.class, Chunk::new);
    this.loaded = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, OpRegistry> eldest) {
        return size() > settings.cachedBundles();
      }
    };
    context.getSystem().receptionist().tell(Receptionist.subscribe(CodeRequest.SERVER,
        context.messageAdapter(Receptionist.Listing.class, Servers::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Get.class, this::onGet)
        .onMessage(Servers.class, this::onServers)
        .onMessage(Chunk.class, this::onChunk)
        .onMessage(Stored.class, this::onStored)
        .onMessage(FetchTimedOut.class, this::onFetchTimedOut)
        .build();
  }

  private Behavior<Command> onGet(Get get) {
    OpRegistry registry = loaded.get(get.hash());
    if (registry != null) {
      get.replyTo().tell(new Loaded(registry, null));
      return this;
    }
    Fetch fetch = fetching.get(get.hash());
    if (fetch == null) {
      fetch = new Fetch();
      fetching.put(get.hash(), fetch);
      timers.startSingleTimer(get.hash(), new FetchTimedOut(get.hash()), settings.fetchTimeout());
      request(get.hash(), fetch);
    }
    fetch.waiting.add(get.replyTo());
    return this;
  }

  private Behavior<Command> onServers(Servers servers) {
    this.servers = servers.listing().getServiceInstances(CodeRequest.SERVER);
    fetching.forEach((hash, fetch) -> {
      if (!fetch.requested) {
        request(hash, fetch);
      }
    });
    return this;
  }

  /** Asks for the next chunk; a fetch waits for the coordinator's code server to be known. */
  private void request(String hash, Fetch fetch) {
    if (servers.isEmpty()) {
      return;
    }
    fetch.requested = true;
    servers.iterator().next().tell(new CodeRequest(hash, fetch.bytes.size(), chunks));
  }

  private Behavior<Command> onChunk(Chunk message) {
    CodeChunk chunk = message.chunk();
    Fetch fetch = fetching.get(chunk.hash());
    if (fetch == null || chunk.offset() != fetch.bytes.size()) {
      return this;
    }
    if (chunk.error() != null) {
      fail(chunk.hash(), chunk.error());
      return this;
    }
    fetch.bytes.write(chunk.bytes(), 0, chunk.bytes().length);
    timers.startSingleTimer(chunk.hash(), new FetchTimedOut(chunk.hash()), settings.fetchTimeout());
    if (fetch.bytes.size() < chunk.total() && chunk.bytes().length > 0) {
      request(chunk.hash(), fetch);
      return this;
    }
    timers.cancel(chunk.hash());
    byte[] bundle = fetch.bytes.toByteArray();
    String hash = chunk.hash();
    // Writing the jar and opening it touch the disk: off the actor's thread.
    CompletableFuture<OpRegistry> stored = CompletableFuture.supplyAsync(() -> store(hash, bundle),
        getContext().getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
    getContext().pipeToSelf(stored, (registry, error) -> new Stored(hash, registry, error));
    return this;
  }

  private OpRegistry store(String hash, byte[] bundle) {
    if (!hash.equals(sha256(bundle))) {
      throw new SpecException("the code bundle " + hash + " arrived with other bytes than its hash says");
    }
    try {
      Path jar = dir.resolve(hash + ".jar");
      Files.write(jar, bundle);
      jar.toFile().deleteOnExit();
      return base.forBundle(jar);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep code bundle " + hash + ": " + e.getMessage(), e);
    }
  }

  private Behavior<Command> onStored(Stored stored) {
    Fetch fetch = fetching.remove(stored.hash());
    if (stored.error() != null) {
      String reason = "cannot load the job's code " + stored.hash() + ": " + stored.error().getMessage();
      getContext().getLog().warn(reason);
      if (fetch != null) {
        fetch.waiting.forEach(replyTo -> replyTo.tell(new Loaded(null, reason)));
      }
      return this;
    }
    getContext().getLog().info("loaded the job's code {}", stored.hash());
    loaded.put(stored.hash(), stored.registry());
    if (fetch != null) {
      fetch.waiting.forEach(replyTo -> replyTo.tell(new Loaded(stored.registry(), null)));
    }
    return this;
  }

  private Behavior<Command> onFetchTimedOut(FetchTimedOut timedOut) {
    fail(timedOut.hash(), "the job's code " + timedOut.hash() + " did not arrive from the coordinator within "
        + settings.fetchTimeout().toSeconds() + " s (baton.code.fetch-timeout)");
    return this;
  }

  private void fail(String hash, String reason) {
    timers.cancel(hash);
    Fetch fetch = fetching.remove(hash);
    getContext().getLog().warn(reason);
    if (fetch != null) {
      fetch.waiting.forEach(replyTo -> replyTo.tell(new Loaded(null, reason)));
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }
}
