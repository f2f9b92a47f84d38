package baton.node;

import baton.protocol.op.CpuOp;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.SpecException;
import baton.protocol.wire.CodeChunk;
import baton.protocol.wire.CodeRequest;
import baton.protocol.wire.JobEnded;
import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A node's copies of the code jobs brought. It fetches a bundle from the coordinator's code server the first time a
 * batch names it (in chunks, each one message), checks its hash and keeps it as a jar in a temporary folder, once per
 * hash however many jobs bring it. Each job gets a class loader of its own over the jar: two jobs with one bundle,
 * or with two versions of one op, never share classes or their static state. The ops workers make of a job's code
 * are held here ({@link Made}), by the workers only weakly ({@link JobOps}).
 *
 * <p>When the coordinator says a job has ended ({@link JobEnded}, to the nodes that ran its batches) the job's
 * loader is closed and let go, with its ops, so its classes are collected. A job that no batch has used for
 * {@code baton.code.job-idle} is let go too (its loader is not closed: a batch may still come, and gets a new one):
 * so a node that missed the end, for instance while the coordinator was down, drops it all the same. Of the jars, the
 * last {@code baton.code.cached-bundles} no job uses stay, for jobs that bring them again.
 */
public final class CodeCache extends AbstractBehavior<CodeCache.Command> {

  public interface Command {
  }

  /**
   * Asks for the registry of job {@code jobId}'s code, the bundle {@code hash}: a class loader of that job's own. The
   * answer comes when the bundle is here; a job that has ended gets an error.
   */
  public record Get(String jobId, String hash, ActorRef<Loaded> replyTo) implements Command {
  }

  /** The registry of a job's code, or why there is none. */
  public record Loaded(OpRegistry registry, String error) {
  }

  /**
   * A worker made {@code op} from the job's {@code registry} (as a {@link Get} gave it): the cache holds it while the
   * job's code stays.
   */
  public record Made(String jobId, OpRegistry registry, CpuOp op) implements Command {
  }

  /** A worker starts a batch of the job with an op it made before: the job's code is in use. */
  public record InUse(String jobId) implements Command {
  }

  /** The node's settings for fetched code. */
  public record Settings(Duration fetchTimeout, int cachedBundles, Duration jobIdle) {

    public static Settings from(Config config) {
      return new Settings(config.getDuration("baton.code.fetch-timeout"), config.getInt("baton.code.cached-bundles"),
          config.getDuration("baton.code.job-idle"));
    }
  }

  private record Servers(Receptionist.Listing listing) implements Command {
  }

  private record Chunk(CodeChunk chunk) implements Command {
  }

  private record Stored(String hash, Path jar, Throwable error) implements Command {
  }

  private record Opened(String jobId, String hash, OpRegistry registry, Throwable error) implements Command {
  }

  private record FetchTimedOut(String hash) implements Command {
  }

  private record Ended(JobEnded ended) implements Command {
  }

  private enum Sweep implements Command { INSTANCE }

  private static final int ENDED_JOBS_KEPT = 1000;

  /** A bundle on its way: the jobs that wait for it and its bytes so far. */
  private static final class Fetch {
    final Set<String> jobs = new LinkedHashSet<>();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean requested;
  }

  /** A job whose class loader is being made: its bundle, and who waits for it. */
  private record Opening(String hash, List<ActorRef<Loaded>> waiting) {
  }

  /** A job's code: its registry (its class loader), the ops workers made of it, and when a batch last used it. */
  private static final class JobCode {
    final String hash;
    final OpRegistry registry;
    final Set<CpuOp> ops = Collections.newSetFromMap(new IdentityHashMap<>());
    long lastUsed;

    JobCode(String hash, OpRegistry registry, long now) {
      this.hash = hash;
      this.registry = registry;
      this.lastUsed = now;
    }
  }

  private final OpRegistry base;
  private final Settings settings;
  private final TimerScheduler<Command> timers;
  private final Executor blocking;
  private final ActorRef<CodeChunk> chunks;
  // The bundles on disk, by hash, the least recently used first.
  private final Map<String, Path> jars = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<String, Fetch> fetching = new LinkedHashMap<>();
  private final Map<String, Opening> opening = new HashMap<>();
  private final Map<String, JobCode> jobs = new HashMap<>();
  private final Set<String> ended = new LinkedHashSet<>();
  private Set<ActorRef<CodeRequest>> servers = Set.of();
  private final Path dir;

  public static Behavior<Command> create(OpRegistry base, Settings settings) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, settings.jobIdle().dividedBy(2));
      return new CodeCache(context, timers, base, settings);
    }));
  }

  private CodeCache(ActorContext<Command> context, TimerScheduler<Command> timers, OpRegistry base,
      Settings settings) {
    super(context);
    this.base = base;
    this.settings = settings;
    this.timers = timers;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    // Once, at start: a folder of this actor's own for the bundles it fetches.
    try {
      this.dir = Files.createTempDirectory("baton-node-code");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a folder for fetched code: " + e.getMessage(), e);
    }
    dir.toFile().deleteOnExit();
    this.chunks = context.messageAdapter(CodeChunk.class, Chunk::new);
    context.getSystem().receptionist().tell(Receptionist.subscribe(CodeRequest.SERVER,
        context.messageAdapter(Receptionist.Listing.class, Servers::new)));
    // A child of its own takes the job ends: an actor's message adapters share one reference, and the Receptionist
    // stops when one reference both subscribes (to the code servers, above) and registers.
    ActorRef<Command> self = context.getSelf();
    ActorRef<JobEnded> ends = context.spawn(Behaviors.receiveMessage(ended -> {
      self.tell(new Ended(ended));
      return Behaviors.same();
    }), "job-ends");
    context.getSystem().receptionist().tell(Receptionist.register(JobEnded.NODE_CODE, ends));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Get.class, this::onGet)
        .onMessage(Made.class, this::onMade)
        .onMessage(InUse.class, this::onInUse)
        .onMessage(Servers.class, this::onServers)
        .onMessage(Chunk.class, this::onChunk)
        .onMessage(Stored.class, this::onStored)
        .onMessage(Opened.class, this::onOpened)
        .onMessage(FetchTimedOut.class, this::onFetchTimedOut)
        .onMessage(Ended.class, this::onEnded)
        .onMessage(Sweep.class, sweep -> onSweep())
        .onSignal(PostStop.class, stop -> onPostStop())
        .build();
  }

  private Behavior<Command> onGet(Get get) {
    if (ended.contains(get.jobId())) {
      get.replyTo().tell(new Loaded(null, "job " + get.jobId() + " has ended; this node dropped its code"));
      return this;
    }
    JobCode code = jobs.get(get.jobId());
    if (code != null && code.hash.equals(get.hash())) {
      code.lastUsed = System.nanoTime();
      get.replyTo().tell(new Loaded(code.registry, null));
      return this;
    }
    Opening waiting = opening.get(get.jobId());
    if (waiting != null) {
      waiting.waiting().add(get.replyTo());
      return this;
    }
    List<ActorRef<Loaded>> replyTo = new ArrayList<>();
    replyTo.add(get.replyTo());
    opening.put(get.jobId(), new Opening(get.hash(), replyTo));
    Path jar = jars.get(get.hash());
    if (jar != null) {
      open(get.jobId(), get.hash(), jar);
      return this;
    }
    Fetch fetch = fetching.get(get.hash());
    if (fetch == null) {
      fetch = new Fetch();
      fetching.put(get.hash(), fetch);
      timers.startSingleTimer(get.hash(), new FetchTimedOut(get.hash()), settings.fetchTimeout());
      request(get.hash(), fetch);
    }
    fetch.jobs.add(get.jobId());
    return this;
  }

  private Behavior<Command> onMade(Made made) {
    JobCode code = jobs.get(made.jobId());
    // An op of a loader since dropped would keep that loader: only the job's current one's are held.
    if (code != null && code.registry == made.registry()) {
      code.ops.add(made.op());
      code.lastUsed = System.nanoTime();
    }
    return this;
  }

  private Behavior<Command> onInUse(InUse used) {
    JobCode code = jobs.get(used.jobId());
    if (code != null) {
      code.lastUsed = System.nanoTime();
    }
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
    // Writing the jar touches the disk: off the actor's thread.
    CompletableFuture<Path> stored = CompletableFuture.supplyAsync(() -> store(hash, bundle), blocking);
    getContext().pipeToSelf(stored, (jar, error) -> new Stored(hash, jar, error));
    return this;
  }

  private Path store(String hash, byte[] bundle) {
    if (!hash.equals(CodeRequest.hashOf(bundle))) {
      throw new SpecException("the code bundle " + hash + " arrived with other bytes than its hash says");
    }
    try {
      Path jar = dir.resolve(hash + ".jar");
      Files.write(jar, bundle);
      jar.toFile().deleteOnExit();
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep code bundle " + hash + ": " + e.getMessage(), e);
    }
  }

  private Behavior<Command> onStored(Stored stored) {
    timers.cancel(stored.hash());
    Fetch fetch = fetching.remove(stored.hash());
    if (fetch == null) {
      return this;
    }
    if (stored.error() != null) {
      String reason = "cannot keep the job's code " + stored.hash() + ": " + stored.error().getMessage();
      getContext().getLog().warn(reason);
      fetch.jobs.forEach(job -> answer(job, null, reason));
      return this;
    }
    getContext().getLog().info("fetched the job's code {}", stored.hash());
    jars.put(stored.hash(), stored.jar());
    fetch.jobs.forEach(job -> open(job, stored.hash(), stored.jar()));
    trimJars();
    return this;
  }

  /** Makes job {@code jobId}'s class loader over the jar, off the actor's thread (it reads the jar). */
  private void open(String jobId, String hash, Path jar) {
    CompletableFuture<OpRegistry> opened = CompletableFuture.supplyAsync(() -> base.forBundle(jar), blocking);
    getContext().pipeToSelf(opened, (registry, error) -> new Opened(jobId, hash, registry, error));
  }

  private Behavior<Command> onOpened(Opened opened) {
    if (opened.error() != null) {
      String reason = "cannot load the job's code " + opened.hash() + ": " + opened.error().getMessage();
      getContext().getLog().warn(reason);
      answer(opened.jobId(), null, reason);
      return this;
    }
    if (ended.contains(opened.jobId())) {
      opened.registry().closeBundle();
      answer(opened.jobId(), null, "job " + opened.jobId() + " has ended; this node dropped its code");
      return this;
    }
    getContext().getLog().info("loaded the code {} of job {}", opened.hash(), opened.jobId());
    JobCode code = new JobCode(opened.hash(), opened.registry(), System.nanoTime());
    jobs.put(opened.jobId(), code);
    answer(opened.jobId(), code.registry, null);
    return this;
  }

  private void answer(String jobId, OpRegistry registry, String error) {
    Opening waiting = opening.remove(jobId);
    if (waiting != null) {
      waiting.waiting().forEach(replyTo -> replyTo.tell(new Loaded(registry, error)));
    }
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
      fetch.jobs.forEach(job -> answer(job, null, reason));
    }
  }

  private Behavior<Command> onEnded(Ended message) {
    String jobId = message.ended().jobId();
    if (ended.add(jobId) && ended.size() > ENDED_JOBS_KEPT) {
      ended.remove(ended.iterator().next());
    }
    JobCode code = jobs.remove(jobId);
    if (code != null) {
      // Its batches are over: a straggler of a cancelled job that still runs fails, and its result is dropped.
      code.registry.closeBundle();
      getContext().getLog().info("dropped the code of job {}: the job has ended", jobId);
      trimJars();
    }
    return this;
  }

  private Behavior<Command> onSweep() {
    long now = System.nanoTime();
    long idle = settings.jobIdle().toNanos();
    for (Iterator<Map.Entry<String, JobCode>> it = jobs.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, JobCode> entry = it.next();
      if (now - entry.getValue().lastUsed > idle) {
        it.remove();
        getContext().getLog().info("dropped the code of job {}: no batch of it came for {} s (baton.code.job-idle)",
            entry.getKey(), settings.jobIdle().toSeconds());
      }
    }
    trimJars();
    return this;
  }

  /** Deletes the least recently used jars no job uses or waits for, beyond {@code cached-bundles}. */
  private void trimJars() {
    Set<String> inUse = new LinkedHashSet<>();
    jobs.values().forEach(code -> inUse.add(code.hash));
    opening.values().forEach(waiting -> inUse.add(waiting.hash()));
    int unused = (int) jars.keySet().stream().filter(hash -> !inUse.contains(hash)).count();
    List<Path> gone = new ArrayList<>();
    for (Iterator<Map.Entry<String, Path>> it = jars.entrySet().iterator(); it.hasNext()
        && unused > settings.cachedBundles(); ) {
      Map.Entry<String, Path> jar = it.next();
      if (!inUse.contains(jar.getKey())) {
        it.remove();
        gone.add(jar.getValue());
        unused--;
      }
    }
    if (!gone.isEmpty()) {
      CompletableFuture.runAsync(() -> gone.forEach(CodeCache::deleteQuietly), blocking);
    }
  }

  private Behavior<Command> onPostStop() {
    jobs.values().forEach(code -> code.registry.closeBundle());
    jobs.clear();
    List<Path> gone = new ArrayList<>(jars.values());
    gone.add(dir);
    try {
      CompletableFuture.runAsync(() -> gone.forEach(CodeCache::deleteQuietly), blocking);
    } catch (RejectedExecutionException e) {
      // The actor system is going down with the process: deleteOnExit removes them.
    }
    return this;
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A temporary file; deleteOnExit tries again.
    }
  }
}
