package baton.coordinator;

import baton.coordinator.metrics.Metrics;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.Item;
import baton.protocol.wire.JobEnded;
import baton.protocol.wire.Pull;
import baton.protocol.wire.ServiceKeys;
import baton.protocol.wire.Wire;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Hands cpu batches to the nodes that pull for them. Nodes find it through the Receptionist and send credits
 * ({@link Pull}); a batch only goes to a node with a credit left, and the node with the most credits gets it, so
 * fast nodes take more and none is flooded. When a node goes away, the batches it held go back to the head of their
 * jobs' queues for the others.
 *
 * <p>Running jobs share the workers by weight ({@link #weight}, from the job's priority), counted in items, not
 * batches: each job has its own queue, and each free credit goes to the next batch in start-time fair queuing
 * (Goyal, Vin and Cheng, 1996), which suits servers whose speed varies, as nodes do. A job's batch starts at the
 * job's virtual finish time, or at the dispatcher's virtual time if the job has had nothing queued; the batch with
 * the earliest start goes, and moves its job's finish time on by its items over its weight. So two busy jobs of equal
 * weight get the same items, one of weight 2 twice those of one of weight 1, and a job that just came, however
 * small, goes next: no job with work queued waits for another's backlog.
 *
 * <p>Results come back through the dispatcher, which answers each {@link Dispatch} at most once: every time a batch
 * goes to a node it gets a new number, and a result whose number is no longer out (its node was given up, or its job
 * cancelled) is dropped. So a batch that ran twice, on a node that was thought dead and on the one that took it
 * over, still counts once.
 *
 * <p>A batch is timed from when a worker starts it ({@link BatchStarted}), never from when it was queued: each of its
 * n items may take the job's item timeout, so a batch still running n item timeouts after its start is answered with
 * its items failed as timed out, and its late result is dropped; the retry is a new dispatch. A node's credits are
 * the batches it takes at once (its full load, which a repeated one replaces) less those it has not given back.
 * Log lines about a job carry its id in the MDC.
 */
public final class WorkDispatcher extends AbstractBehavior<WorkDispatcher.Command> {

  public interface Command {
  }

  /**
   * Runs a batch on some node; the dispatcher answers {@code replyTo} at most once. Each item may take
   * {@code itemTimeout} from when a worker starts the batch; time in the queue never counts. While no node pulls
   * work, {@code waitingTo} hears that the job waits for workers, and again when they come. {@code priority} is the
   * job's (its spec's {@code priority}, -1000..1000): it sets the job's share of the workers, see {@link #weight}.
   */
  public record Dispatch(String jobId, int stage, OpRef op, List<Item> items, Duration itemTimeout,
      ActorRef<WorkResult> replyTo, ActorRef<Waiting> waitingTo, int priority) implements Command {
  }

  /**
   * Tells a job whether its cpu work waits for workers because no node is connected; {@code text} says so for the
   * job log ("waiting for workers: 0 nodes", then "workers came: ...").
   */
  public record Waiting(boolean waiting, String text) {
  }

  /**
   * The job is over: its queued batches are dropped, results of its batches still on nodes are ignored, and later
   * dispatches for it are never answered.
   */
  public record CancelJob(String jobId) implements Command {
  }

  /**
   * The job has ended (its end is written). Each node that ran a batch of it with code the job brought is told
   * ({@link JobEnded}), so that it drops the job's class loader.
   */
  public record JobOver(String jobId) implements Command {
  }

  /** Asks for the nodes that pull work now. */
  public record GetNodes(ActorRef<List<NodeInfo>> replyTo) implements Command {
  }

  /**
   * A node as the dispatcher sees it: its workers, the batches it holds now, and the items whose results it sent
   * back since it came (the dashboard turns two of these into items per second).
   */
  public record NodeInfo(String address, int workers, int inFlight, long itemsDone) {
  }

  /** Asks for the dispatcher's queue and each node's load, for the metrics. */
  public record GetLoad(ActorRef<Load> replyTo) implements Command {
  }

  /**
   * The batches (and their items) waiting for a node's credit, and each node: its workers, how many of them run one
   * of its batches now (started, not answered), and its credits left.
   */
  public record Load(int queuedBatches, long queuedItems, List<Metrics.NodeLoad> nodes) {
  }

  private record Pulled(Pull pull) implements Command {
  }

  private record Finished(WorkResult result) implements Command {
  }

  private record Started(BatchStarted started) implements Command {
  }

  private record Overdue(long batch, String jobId) implements Command {
  }

  /** Time to look for started batches past their deadline; one such check is scheduled at a time. */
  private enum CheckDeadlines implements Command {
    INSTANCE
  }

  private record NodeGone(ActorRef<WorkBatch> agent) implements Command {
  }

  private record CodeCachesListed(Receptionist.Listing listing) implements Command {
  }

  private static final int CANCELLED_JOBS_KEPT = 1000;
  private static final int ENDS_KEPT_PER_NODE = 1000;
  // Pekko's scheduler refuses timers longer than about 248 days; a deadline this far off is as good as none.
  private static final Duration LONGEST_DEADLINE = Duration.ofDays(200);

  private static final class Node {
    final int workers;
    // The batches it takes at once, from its last full load.
    int load;
    // Batches sent to it whose credit it has not given back: it still holds them, answered or not.
    final Set<Long> unreturned = new HashSet<>();
    // Batches sent to it whose result is still awaited.
    final Map<Long, Dispatch> inFlight = new LinkedHashMap<>();
    // Items of the results it sent that were taken (not dropped as late or cancelled).
    long itemsDone;

    Node(int workers, int load) {
      this.workers = workers;
      this.load = load;
    }

    int credits() {
      return load - unreturned.size();
    }
  }

  /** A running job's queued batches and its place in the fair order. */
  private static final class JobQueue {
    final String jobId;
    final double weight;
    // Breaks ties between equal finish times: the job that came first goes first.
    final long arrival;
    final Deque<Dispatch> queued = new ArrayDeque<>();
    // The virtual time at which the items it was handed so far are done, at its weight.
    double finish;
    // Its batches out on nodes; the queue is forgotten when none is queued or out.
    int out;

    JobQueue(String jobId, double weight, long arrival) {
      this.jobId = jobId;
      this.weight = weight;
      this.arrival = arrival;
    }
  }

  private static final Comparator<JobQueue> FAIR_ORDER =
      Comparator.<JobQueue>comparingDouble(job -> job.finish).thenComparingLong(job -> job.arrival);

  private final TimerScheduler<Command> timers;
  private final Map<String, JobQueue> jobs = new HashMap<>();
  // The jobs with batches queued, the next to go first. A queued job's finish time is never behind virtualTime, so
  // its finish time is its next batch's start.
  private final TreeSet<JobQueue> ready = new TreeSet<>(FAIR_ORDER);
  // The start of the batch that went last: a job that had nothing queued starts from here, never earlier, so time
  // without work does not pile up into a claim on the workers.
  private double virtualTime;
  private long arrivals;
  private final Map<ActorRef<WorkBatch>, Node> nodes = new HashMap<>();
  // Which node holds each batch number that is out; a result for a number not here is late and dropped.
  private final Map<Long, ActorRef<WorkBatch>> out = new HashMap<>();
  private final Set<String> cancelled = new LinkedHashSet<>();
  // Jobs told that they wait for workers, to be told when workers come.
  private final Map<String, ActorRef<Waiting>> waiting = new LinkedHashMap<>();
  // The jobs that brought code, each with the addresses of the nodes its batches went to: they hear its end.
  private final Map<String, Set<Address>> codeRanOn = new HashMap<>();
  // The nodes' code caches, from the Receptionist.
  private Set<ActorRef<JobEnded>> codeCaches = Set.of();
  // Ends of jobs with code for nodes whose code cache the Receptionist has not shown yet (across a cluster it tells
  // of a new node's cache a moment after the node pulls): told when it shows the cache, dropped when the node goes.
  private final Map<Address, Set<String>> endsForUnlistedCaches = new HashMap<>();
  private final ActorRef<WorkResult> results;
  private final ActorRef<BatchStarted> starts;
  // The deadline (System.nanoTime) of each started batch that is out. One timer, for the earliest of them, stands
  // for all: a timer per batch, started and cancelled for every batch, slowed jobs of many small batches.
  private final Map<Long, Long> deadlines = new HashMap<>();
  // When the scheduled check runs (System.nanoTime), while one is scheduled.
  private boolean checkScheduled;
  private long checkAt;
  private long nextBatch;

  /**
   * A job's weight, its share of the workers against other running jobs': 2^(priority / 200). Every 200 points of
   * priority double a job's share; the default 0 weighs 1, 1000 weighs 32 and -1000 weighs 1/32, so the highest
   * priority gets at most 1024 times the share of the lowest, and a job with work queued always gets some.
   */
  public static double weight(int priority) {
    return Math.pow(2, priority / 200.0);
  }

  public static Behavior<Command> create() {
    return Behaviors.withMdc(Command.class, WorkDispatcher::jobMdc,
        Behaviors.setup(context -> Behaviors.withTimers(timers -> new WorkDispatcher(context, timers))));
  }

  private static Map<String, String> jobMdc(Command command) {
    if (command instanceof Dispatch dispatch) {
      return Map.of("jobId", dispatch.jobId());
    }
    if (command instanceof CancelJob cancel) {
      return Map.of("jobId", cancel.jobId());
    }
    if (command instanceof JobOver over) {
      return Map.of("jobId", over.jobId());
    }
    if (command instanceof Overdue overdue) {
      return Map.of("jobId", overdue.jobId());
    }
    return Map.of();
  }

  private WorkDispatcher(ActorContext<Command> context, TimerScheduler<Command> timers) {
    super(context);
    this.timers = timers;
    ActorRef<Pull> pulls = context.messageAdapter(Pull.class, Pulled::new);
    this.results = context.messageAdapter(WorkResult.class, Finished::new);
    this.starts = context.messageAdapter(BatchStarted.class, Started::new);
    context.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.DISPATCHER, pulls));
    // A child of its own follows the nodes' code caches: an actor's adapters share one reference, registered above,
    // and the Receptionist stops when one reference both registers and subscribes.
    ActorRef<Command> self = context.getSelf();
    ActorRef<Receptionist.Listing> caches = context.spawn(Behaviors.receiveMessage(listing -> {
      self.tell(new CodeCachesListed(listing));
      return Behaviors.same();
    }), "code-caches");
    context.getSystem().receptionist().tell(Receptionist.subscribe(JobEnded.NODE_CODE, caches));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Dispatch.class, this::onDispatch)
        .onMessage(Pulled.class, this::onPulled)
        .onMessage(Started.class, this::onStarted)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(Overdue.class, this::onOverdue)
        .onMessage(CheckDeadlines.class, check -> onCheckDeadlines())
        .onMessage(NodeGone.class, this::onNodeGone)
        .onMessage(CancelJob.class, this::onCancelJob)
        .onMessage(JobOver.class, this::onJobOver)
        .onMessage(CodeCachesListed.class, this::onCodeCachesListed)
        .onMessage(GetNodes.class, this::onGetNodes)
        .onMessage(GetLoad.class, this::onGetLoad)
        .build();
  }

  private Behavior<Command> onDispatch(Dispatch dispatch) {
    if (cancelled.contains(dispatch.jobId())) {
      return this;
    }
    enqueue(dispatch, false);
    if (nodes.isEmpty()) {
      tellWaiting(dispatch);
    }
    return sendWhatCanGo();
  }

  /** Queues a batch with its job, at the head for a batch that comes back from a node that went away. */
  private void enqueue(Dispatch dispatch, boolean atHead) {
    JobQueue job = jobs.computeIfAbsent(dispatch.jobId(),
        id -> new JobQueue(id, weight(dispatch.priority()), arrivals++));
    if (job.queued.isEmpty()) {
      job.finish = Math.max(job.finish, virtualTime);
      ready.add(job);
    }
    if (atHead) {
      job.queued.addFirst(dispatch);
    } else {
      job.queued.addLast(dispatch);
    }
  }

  /** Takes the batch that goes next in the fair order, and moves its job on by the batch's items. */
  private Dispatch nextInFairOrder() {
    JobQueue job = ready.pollFirst();
    Dispatch dispatch = job.queued.pollFirst();
    virtualTime = job.finish;
    job.finish += dispatch.items().size() / job.weight;
    job.out++;
    if (!job.queued.isEmpty()) {
      ready.add(job);
    }
    return dispatch;
  }

  /** A batch of the job is no longer out on a node (answered, timed out, given up). */
  private void cameBack(Dispatch dispatch) {
    JobQueue job = jobs.get(dispatch.jobId());
    if (job != null) {
      job.out--;
      forgetIfIdle(job);
    }
  }

  private void forgetIfIdle(JobQueue job) {
    if (job.out <= 0 && job.queued.isEmpty()) {
      jobs.remove(job.jobId);
    }
  }

  private void tellWaiting(Dispatch dispatch) {
    if (waiting.putIfAbsent(dispatch.jobId(), dispatch.waitingTo()) == null) {
      dispatch.waitingTo().tell(new Waiting(true, "waiting for workers: 0 nodes"));
    }
  }

  private Behavior<Command> onPulled(Pulled pulled) {
    Pull pull = pulled.pull();
    Node node = nodes.get(pull.agent());
    if (node == null) {
      Optional<String> mismatch = Wire.mismatch(getContext().getSystem(), pull.agent().path().address());
      if (mismatch.isPresent()) {
        getContext().getLog().error("giving no work to node {}", mismatch.get());
        return this;
      }
      node = new Node(pull.workers(), pull.credits());
      nodes.put(pull.agent(), node);
      getContext().watchWith(pull.agent(), new NodeGone(pull.agent()));
      getContext().getLog().info("node {} pulls work for {} workers", pull.agent().path().address(), pull.workers());
      tellWorkersCame();
      Events.nodesChanged(getContext().getSystem());
    } else if (pull.fullLoad()) {
      // A node sends its full load to a dispatcher new to it; one that comes again (the Receptionist dropped and
      // listed this dispatcher) replaces the load, so the node never holds more than it asked for.
      node.load = pull.credits();
    }
    if (!pull.fullLoad()) {
      // Results travel on another lane and may come after the pull: only the result takes a batch off inFlight.
      node.unreturned.remove(pull.completedBatch());
    }
    return sendWhatCanGo();
  }

  private void tellWorkersCame() {
    if (waiting.isEmpty()) {
      return;
    }
    int workers = nodes.values().stream().mapToInt(node -> node.workers).sum();
    Waiting came = new Waiting(false, "workers came: " + nodes.size() + (nodes.size() == 1 ? " node, " : " nodes, ")
        + workers + " workers");
    waiting.values().forEach(job -> job.tell(came));
    waiting.clear();
  }

  private Behavior<Command> onStarted(Started started) {
    long batch = started.started().batch();
    Dispatch dispatch = inFlight(batch);
    if (dispatch != null) {
      int items = dispatch.items().size();
      Duration deadline = dispatch.itemTimeout().compareTo(LONGEST_DEADLINE.dividedBy(items)) >= 0
          ? LONGEST_DEADLINE
          : dispatch.itemTimeout().multipliedBy(items);
      long due = System.nanoTime() + deadline.toNanos();
      deadlines.put(batch, due);
      if (!checkScheduled || due - checkAt < 0) {
        scheduleCheck(due);
      }
    }
    return this;
  }

  private void scheduleCheck(long due) {
    checkScheduled = true;
    checkAt = due;
    timers.startSingleTimer(CheckDeadlines.INSTANCE, CheckDeadlines.INSTANCE,
        Duration.ofNanos(Math.max(0, due - System.nanoTime())));
  }

  /**
   * Answers the batches past their deadline (each as an {@link Overdue}, so in its job's MDC), then schedules the
   * check for the earliest deadline left.
   */
  private Behavior<Command> onCheckDeadlines() {
    checkScheduled = false;
    long now = System.nanoTime();
    boolean any = false;
    long next = 0;
    for (Iterator<Map.Entry<Long, Long>> it = deadlines.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Long> entry = it.next();
      if (entry.getValue() - now <= 0) {
        it.remove();
        Dispatch dispatch = inFlight(entry.getKey());
        if (dispatch != null) {
          getContext().getSelf().tell(new Overdue(entry.getKey(), dispatch.jobId()));
        }
      } else if (!any || entry.getValue() - next < 0) {
        any = true;
        next = entry.getValue();
      }
    }
    if (any) {
      scheduleCheck(next);
    }
    return this;
  }

  private Dispatch inFlight(long batch) {
    ActorRef<WorkBatch> agent = out.get(batch);
    Node node = agent == null ? null : nodes.get(agent);
    return node == null ? null : node.inFlight.get(batch);
  }

  private Behavior<Command> onFinished(Finished finished) {
    WorkResult result = finished.result();
    Node from = nodes.get(out.get(result.batch()));
    Dispatch dispatch = takeOut(result.batch());
    if (dispatch == null) {
      getContext().getLog().debug("dropping the result of batch {} from {}: it timed out, its node was given up or "
          + "its job ended", result.batch(), result.node());
      return this;
    }
    from.itemsDone += result.results().size();
    dispatch.replyTo().tell(result);
    return this;
  }

  /** Forgets a batch that is out, with its deadline; answers what it was, or null if it was not out. */
  private Dispatch takeOut(long batch) {
    deadlines.remove(batch);
    ActorRef<WorkBatch> agent = out.remove(batch);
    Node node = agent == null ? null : nodes.get(agent);
    Dispatch dispatch = node == null ? null : node.inFlight.remove(batch);
    if (dispatch != null) {
      cameBack(dispatch);
    }
    return dispatch;
  }

  private Behavior<Command> onOverdue(Overdue overdue) {
    ActorRef<WorkBatch> agent = out.get(overdue.batch());
    Dispatch dispatch = takeOut(overdue.batch());
    if (dispatch == null) {
      return this;
    }
    String node = agent.path().address().toString();
    int items = dispatch.items().size();
    long millis = dispatch.itemTimeout().toMillis();
    String reason = items == 1
        ? "timed out on node " + node + " after " + millis + " ms (item-timeout)"
        : "timed out on node " + node + ": its batch of " + items + " items was not done after " + items + " x "
            + millis + " ms (item-timeout)";
    getContext().getLog().warn("batch {} of job {} (stage {}) {}; its items fail for now, its late result will be "
        + "dropped", overdue.batch(), dispatch.jobId(), dispatch.stage(), reason);
    List<ItemResult> failed = new ArrayList<>(items);
    dispatch.items().forEach(item -> failed.add(ItemResult.failed(item.key(), reason)));
    dispatch.replyTo().tell(new WorkResult(overdue.batch(), failed, node));
    return this;
  }

  private Behavior<Command> onNodeGone(NodeGone gone) {
    Node node = nodes.remove(gone.agent());
    if (!pulls(gone.agent().path().address())) {
      endsForUnlistedCaches.remove(gone.agent().path().address());
    }
    if (node != null) {
      Events.nodesChanged(getContext().getSystem());
      List<Dispatch> orphans = new ArrayList<>(node.inFlight.values());
      node.inFlight.keySet().forEach(batch -> {
        out.remove(batch);
        deadlines.remove(batch);
      });
      getContext().getLog().warn("node {} is gone with {} batches in flight; they go to other nodes",
          gone.agent().path().address(), orphans.size());
      // Back at the head of their jobs' queues, in the order they went out; the job pays for them again, as the
      // workers do them again.
      for (int i = orphans.size() - 1; i >= 0; i--) {
        Dispatch orphan = orphans.get(i);
        enqueue(orphan, true);
        cameBack(orphan);
      }
      if (nodes.isEmpty()) {
        jobs.values().forEach(job -> job.queued.forEach(this::tellWaiting));
      }
    }
    return sendWhatCanGo();
  }

  private Behavior<Command> onCancelJob(CancelJob cancel) {
    if (cancelled.add(cancel.jobId()) && cancelled.size() > CANCELLED_JOBS_KEPT) {
      cancelled.remove(cancelled.iterator().next());
    }
    waiting.remove(cancel.jobId());
    JobQueue job = jobs.remove(cancel.jobId());
    int queued = 0;
    if (job != null) {
      ready.remove(job);
      queued = job.queued.size();
    }
    int running = 0;
    for (Node node : nodes.values()) {
      for (Iterator<Map.Entry<Long, Dispatch>> it = node.inFlight.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Long, Dispatch> entry = it.next();
        if (entry.getValue().jobId().equals(cancel.jobId())) {
          // The node still runs it and gives its credit back when done; only its result is dropped.
          out.remove(entry.getKey());
          deadlines.remove(entry.getKey());
          it.remove();
          running++;
        }
      }
    }
    if (queued + running > 0) {
      getContext().getLog().info("job {} cancelled: dropped {} queued batches and {} on nodes", cancel.jobId(),
          queued, running);
    }
    return this;
  }

  private Behavior<Command> onJobOver(JobOver over) {
    Set<Address> ranOn = codeRanOn.remove(over.jobId());
    if (ranOn == null) {
      return this;
    }
    // A node that misses this (it was away) drops the job's code once no batch of it came for a while.
    Set<Address> listed = new HashSet<>();
    for (ActorRef<JobEnded> cache : codeCaches) {
      listed.add(cache.path().address());
      if (ranOn.contains(cache.path().address())) {
        cache.tell(new JobEnded(over.jobId()));
      }
    }
    ranOn.stream().filter(node -> !listed.contains(node) && pulls(node))
        .forEach(node -> keepForUnlistedCache(node, over.jobId()));
    return this;
  }

  private void keepForUnlistedCache(Address node, String jobId) {
    Set<String> ends = endsForUnlistedCaches.computeIfAbsent(node, address -> new LinkedHashSet<>());
    ends.add(jobId);
    if (ends.size() > ENDS_KEPT_PER_NODE) {
      // A node that never shows a cache drops the job's code when it idles (baton.code.job-idle) anyway.
      ends.remove(ends.iterator().next());
    }
  }

  /** Whether a node at {@code address} pulls work from this dispatcher. */
  private boolean pulls(Address address) {
    return nodes.keySet().stream().anyMatch(agent -> agent.path().address().equals(address));
  }

  private Behavior<Command> onCodeCachesListed(CodeCachesListed listed) {
    codeCaches = listed.listing().getServiceInstances(JobEnded.NODE_CODE);
    for (ActorRef<JobEnded> cache : codeCaches) {
      Set<String> ended = endsForUnlistedCaches.remove(cache.path().address());
      if (ended != null) {
        ended.forEach(jobId -> cache.tell(new JobEnded(jobId)));
      }
    }
    return this;
  }

  private Behavior<Command> onGetNodes(GetNodes request) {
    List<NodeInfo> infos = new ArrayList<>();
    nodes.forEach((agent, node) -> {
      // A worker pool in this process (coordinator --workers) has a local address; the cluster knows it by the
      // process's own.
      Address address = agent.path().address().hasLocalScope()
          ? getContext().getSystem().address() : agent.path().address();
      infos.add(new NodeInfo(address.toString(), node.workers, node.inFlight.size(), node.itemsDone));
    });
    request.replyTo().tell(List.copyOf(infos));
    return this;
  }

  private Behavior<Command> onGetLoad(GetLoad request) {
    int batches = 0;
    long items = 0;
    for (JobQueue job : ready) {
      batches += job.queued.size();
      for (Dispatch dispatch : job.queued) {
        items += dispatch.items().size();
      }
    }
    List<Metrics.NodeLoad> loads = new ArrayList<>(nodes.size());
    nodes.forEach((agent, node) -> {
      // A batch is on a worker from its BatchStarted (which starts its deadline) until its answer.
      int busy = (int) node.inFlight.keySet().stream().filter(deadlines::containsKey).count();
      loads.add(new Metrics.NodeLoad(agent.path().address().toString(), node.workers, Math.min(busy, node.workers),
          Math.max(0, node.credits())));
    });
    request.replyTo().tell(new Load(batches, items, List.copyOf(loads)));
    return this;
  }

  private Behavior<Command> sendWhatCanGo() {
    while (!ready.isEmpty()) {
      Map.Entry<ActorRef<WorkBatch>, Node> best = null;
      for (Map.Entry<ActorRef<WorkBatch>, Node> entry : nodes.entrySet()) {
        int credits = entry.getValue().credits();
        if (credits > 0 && (best == null || credits > best.getValue().credits())) {
          best = entry;
        }
      }
      if (best == null) {
        break;
      }
      Dispatch dispatch = nextInFairOrder();
      long batch = nextBatch++;
      best.getValue().unreturned.add(batch);
      best.getValue().inFlight.put(batch, dispatch);
      out.put(batch, best.getKey());
      best.getKey().tell(new WorkBatch(batch, dispatch.jobId(), dispatch.stage(), dispatch.op(), dispatch.items(),
          results, starts, dispatch.itemTimeout()));
      if (dispatch.op().code() != null) {
        codeRanOn.computeIfAbsent(dispatch.jobId(), id -> new HashSet<>()).add(best.getKey().path().address());
      }
    }
    return this;
  }
}
