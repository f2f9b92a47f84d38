package baton.coordinator.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import baton.coordinator.CodeStore;
import baton.coordinator.Coordinator;
import baton.coordinator.Events;
import baton.coordinator.JournalWatch;
import baton.coordinator.Json;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.api.FailurePage;
import baton.coordinator.api.JobStatus;
import baton.coordinator.metrics.Metrics;
import baton.coordinator.stream.ErrorsFile;
import baton.protocol.op.Reasons;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.cluster.typed.Unsubscribe;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of the HTTP API. Every answer is JSON (but the dashboard's static files and the event stream); every
 * error is {@code {"error": "..."}} with a fitting status. The routes only ask actors; no state lives here. When
 * {@code baton.http.token} is set (or {@code BATON_TOKEN}), every request but those for the dashboard's static files
 * must carry {@code Authorization: Bearer <token>}; others get 401 before anything of theirs is looked at (their
 * body is only read to its end and dropped, so that the 401 arrives).
 */
public final class HttpApi extends AllDirectives {

  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final Pattern JOB_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  private static final int MAX_LOG_CHUNK = 1 << 20;
  // Version 0.0.4 of the Prometheus text format, as a scraper asks for it.
  private static final ContentType.WithCharset PROMETHEUS_TEXT = MediaTypes
      .customWithOpenCharset("text", "plain", Map.of("version", "0.0.4"), false).toContentType(HttpCharsets.UTF_8);
  private static final String DASHBOARD = "baton/dashboard";

  private final ActorSystem<?> system;
  private final ActorRef<Coordinator.Command> coordinator;
  private final ActorRef<WorkDispatcher.Command> dispatcher;
  private final Optional<ActorRef<JournalWatch.Command>> journal;
  private final Path logDir;
  private final long maxSpecBytes;
  private final Executor blocking;
  private final Optional<byte[]> tokenDigest;
  private final long drainLimit;
  private final Duration askTimeout;
  private final ActorRef<MetricsScrape.Command> metrics;
  private final Events.Settings events;
  // Whether the system is a cluster member: always in a Baton process; tests may run the API without.
  private final boolean clustered;
  // Where code bundles go (POST /api/code); empty: this API takes no code with a job.
  private final Optional<CodeStore> code;
  // Whether code may come at all: with a token, or on an API that only loopback reaches.
  private final boolean codeAllowed;
  private final long maxCodeBytes;
  private final int maxFailuresPage;

  /** The API over the given actors, with no journal watch; health then asks the coordinator alone. */
  public HttpApi(ActorSystem<?> system, ActorRef<Coordinator.Command> coordinator,
      ActorRef<WorkDispatcher.Command> dispatcher, Path logDir, long maxSpecBytes) {
    this(system, coordinator, dispatcher, Optional.empty(), logDir, maxSpecBytes);
  }

  /**
   * The API over the given actors; health answers 503 while the journal watch says the journal is down. The token,
   * if any, comes from the system's {@code baton.http.token}.
   */
  public HttpApi(ActorSystem<?> system, ActorRef<Coordinator.Command> coordinator,
      ActorRef<WorkDispatcher.Command> dispatcher, ActorRef<JournalWatch.Command> journal, Path logDir,
      long maxSpecBytes) {
    this(system, coordinator, dispatcher, Optional.of(journal), logDir, maxSpecBytes, Optional.empty(), false, null);
  }

  private HttpApi(ActorSystem<?> system, ActorRef<Coordinator.Command> coordinator,
      ActorRef<WorkDispatcher.Command> dispatcher, Optional<ActorRef<JournalWatch.Command>> journal, Path logDir,
      long maxSpecBytes) {
    this(system, coordinator, dispatcher, journal, logDir, maxSpecBytes, Optional.empty(), false, null);
  }

  private HttpApi(ActorSystem<?> system, ActorRef<Coordinator.Command> coordinator,
      ActorRef<WorkDispatcher.Command> dispatcher, Optional<ActorRef<JournalWatch.Command>> journal, Path logDir,
      long maxSpecBytes, Optional<CodeStore> code, boolean loopbackOnly, ActorRef<MetricsScrape.Command> metrics) {
    this.system = system;
    this.coordinator = coordinator;
    this.dispatcher = dispatcher;
    this.journal = journal;
    this.logDir = logDir;
    this.maxSpecBytes = maxSpecBytes;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("baton.blocking-io-dispatcher"));
    String token = system.settings().config().getString("baton.http.token");
    this.tokenDigest = token.isEmpty() ? Optional.empty() : Optional.of(sha256(token));
    this.drainLimit = Math.max(maxSpecBytes, system.settings().config().getBytes("baton.http.drain-limit"));
    this.askTimeout = system.settings().config().getDuration("baton.coordinator.ask-timeout");
    // One scraper per API, so that scrapes run one at a time; several APIs in one system (tests) get one each, and
    // the same API with code (withCode) keeps its own.
    this.metrics = metrics != null ? metrics : system.systemActorOf(MetricsScrape.create(coordinator, dispatcher, Metrics.get(system), askTimeout),
        "metrics-scrape-" + UUID.randomUUID(), Props.empty());
    this.events = Events.Settings.from(system.settings().config());
    this.clustered = system.settings().config().getString("pekko.actor.provider").equals("cluster");
    this.code = code;
    this.codeAllowed = tokenDigest.isPresent() || loopbackOnly;
    this.maxCodeBytes = system.settings().config().getBytes("baton.http.max-code-bytes");
    this.maxFailuresPage = system.settings().config().getInt("baton.http.max-failures-page");
  }

  /**
   * This API, also taking code with jobs (POST /api/code, then POST /api/jobs?code=HASH) into {@code store}. Code
   * runs on every node, so it is refused (403) unless a token guards the API or only loopback reaches it.
   *
   * @param loopbackOnly whether the API listens on a loopback address only
   */
  public HttpApi withCode(CodeStore store, boolean loopbackOnly) {
    return new HttpApi(system, coordinator, dispatcher, journal, logDir, maxSpecBytes, Optional.of(store),
        loopbackOnly, metrics);
  }

  public Route routes() {
    // Pekko's Java routes run their inner suppliers on every request: the handlers are built once, out here.
    RejectionHandler rejections = rejections();
    return handleExceptions(exceptions(), () -> handleRejections(rejections, () -> concat(dashboard(),
        authorized(() -> concat(
            path("metrics", () -> get(this::metrics)),
            pathPrefix("api", () -> concat(
              path("health", () -> get(this::health)),
              path("nodes", () -> get(this::nodes)),
              path("events", () -> get(this::events)),
              path("code", () -> post(this::uploadCode)),
              pathPrefix("jobs", () -> concat(
                  pathEnd(() -> concat(get(this::list), post(this::submit))),
                  pathPrefix(segment(), id -> concat(
                      pathEnd(() -> get(() -> status(id))),
                      path("cancel", () -> post(() -> cancel(id))),
                      path("failures", () -> get(() -> failures(id))),
                      path("rerun", () -> post(() -> rerun(id))),
                      path("log", () -> get(() -> log(id))))))))))))));
  }

  /**
   * The dashboard's static files, from the jar's {@code baton/dashboard} folder. They hold no data, so they need no
   * token: the page asks for it when the API answers 401.
   */
  private Route dashboard() {
    // Other methods pass on without a rejection of their own: a POST to a path nothing serves stays a 404, not a 405.
    // The API's own paths pass on at once: a look-up in the jar for each status request was 2% of a tiny job's CPU.
    return extractMethod(method -> !method.equals(HttpMethods.GET) ? reject() : extractUnmatchedPath(path ->
        path.startsWith("/api/") || path.equals("/metrics") ? reject() : concat(
        pathSingleSlash(() -> getFromResource(DASHBOARD + "/index.html")),
        getFromResourceDirectory(DASHBOARD))));
  }

  /**
   * Server-Sent Events for the dashboard: {@code job} (a job's status, see {@link Events.JobChanged}) and
   * {@code node} (the node list, as {@code GET /api/nodes} gives it, when the cluster's members or the nodes pulling
   * work change, and once at the start), and a keep-alive when quiet. Each client's stream is fed by an actor of its
   * own that subscribes to the events and unsubscribes when the client goes. A client that falls {@code buffer}
   * events behind is cut off; it reconnects and reloads.
   */
  private Route events() {
    Source<ServerSentEvent, NotUsed> stream = ActorSource.<Object>actorRef(message -> false,
            message -> Optional.empty(), events.buffer(), OverflowStrategy.fail())
        .watchTermination((ref, done) -> {
          subscribe(ref);
          done.whenComplete((ended, failure) -> unsubscribe(ref));
          return NotUsed.getInstance();
        })
        .mapAsync(1, message -> message instanceof Events.JobChanged changed
            ? CompletableFuture.completedFuture(ServerSentEvent.create(Json.write(changed.status()), "job"))
            : nodeList().thenApply(nodes -> ServerSentEvent.create(Json.write(nodes), "node"))
                .exceptionally(failure -> ServerSentEvent.heartbeat()))
        .keepAlive(events.keepAlive(), ServerSentEvent::heartbeat);
    return completeOK(stream, EventStreamMarshalling.toEventStream());
  }

  private void subscribe(ActorRef<Object> ref) {
    system.eventStream().tell(new EventStream.Subscribe<>(Events.JobChanged.class, ref.narrow()));
    system.eventStream().tell(new EventStream.Subscribe<>(Events.NodesChanged.class, ref.narrow()));
    // The stream's first event is the node list.
    ref.tell(Events.NodesChanged.INSTANCE);
    if (clustered) {
      Cluster.get(system).subscriptions().tell(Subscribe.create(ref.narrow(), ClusterEvent.MemberEvent.class));
      Cluster.get(system).subscriptions().tell(
          Subscribe.create(ref.narrow(), ClusterEvent.ReachabilityEvent.class));
    }
  }

  private void unsubscribe(ActorRef<Object> ref) {
    system.eventStream().tell(new EventStream.Unsubscribe<>(ref.narrow()));
    if (clustered) {
      Cluster.get(system).subscriptions().tell(new Unsubscribe<>(ref));
    }
  }

  private Route authorized(Supplier<Route> inner) {
    if (tokenDigest.isEmpty()) {
      return inner.get();
    }
    return optionalHeaderValueByName("Authorization", header -> {
      boolean valid = header.filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
          .map(value -> MessageDigest.isEqual(tokenDigest.get(), sha256(value.substring(7).strip())))
          .orElse(false);
      if (valid) {
        return inner.get();
      }
      // Drained first, like an oversize spec: a 401 sent while the client still sends its body is lost with the
      // connection. The answer is the 401 even when the body is beyond the drain limit.
      return extractRequestEntity(entity -> onComplete(drain(entity, 0), drained ->
          respondWithHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"baton\""), () ->
              error(StatusCodes.UNAUTHORIZED, header.isEmpty()
                  ? "this coordinator wants a token: send Authorization: Bearer <token> (the CLI sends $BATON_TOKEN)"
                  : "wrong token"))));
    });
  }

  /** Digests first, so that the comparison takes as long whatever the lengths. */
  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  private Route health() {
    // The journal watch answers at once, also while the coordinator restarts after a journal failure.
    CompletionStage<JournalWatch.State> journalState = journal
        .map(watch -> AskPattern.ask(watch, JournalWatch.GetState::new, askTimeout, system.scheduler()))
        .orElse(CompletableFuture.completedFuture(new JournalWatch.State(Optional.empty(), Duration.ZERO)));
    return onSuccess(journalState, state -> state.down()
        .map(reason -> json(StatusCodes.SERVICE_UNAVAILABLE, Map.of("status", "journal-down",
            "error", "the journal has not worked for " + state.downFor().toSeconds() + " s: " + reason)))
        .orElseGet(() -> onSuccess(ask(Coordinator.GetHealth::new), health -> json(StatusCodes.OK,
            Map.of("status", health.accepting() ? "ok" : "shutting-down", "accepting", health.accepting(),
                "runningJobs", health.runningJobs(), "queuedJobs", health.queuedJobs())))));
  }

  private Route list() {
    return onSuccess(ask(Coordinator.ListJobs::new), jobs -> json(StatusCodes.OK, jobs));
  }

  private Route submit() {
    return parameterOptional("code", hash -> hash.isEmpty() || codeAllowed ? submit(hash.orElse(null))
        : extractRequestEntity(entity -> onComplete(drain(entity, 0), drained -> codeRefused())));
  }

  private Route submit(String hash) {
    return parameterOptional("name", name -> parameterOptional("dir", dir -> extractRequestEntity(entity ->
        onSuccess(drain(entity, maxSpecBytes + 1), body -> {
          if (body.total() > maxSpecBytes) {
            // The whole body has been read, so the connection stays usable and the client reads this answer.
            return error(StatusCodes.PAYLOAD_TOO_LARGE, tooLarge());
          }
          String spec = body.kept().decodeString(entity.getContentType().getCharsetOption()
              .map(charset -> charset.nioCharset()).orElse(StandardCharsets.UTF_8));
          Path baseDir;
          try {
            baseDir = dir.map(Path::of).orElse(Path.of("")).toAbsolutePath().normalize();
          } catch (InvalidPathException e) {
            return error(StatusCodes.BAD_REQUEST, "dir is not a valid path: " + e.getMessage());
          }
          String sourceName = name.filter(n -> !n.isBlank()).orElse("spec.conf");
          CompletionStage<Coordinator.SubmitReply> reply =
              ask(replyTo -> new Coordinator.Submit(spec, sourceName, baseDir, replyTo, hash));
          return onSuccess(reply, answer -> {
            if (answer instanceof Coordinator.Accepted accepted) {
              return json(StatusCodes.CREATED, accepted.status());
            }
            if (answer instanceof Coordinator.Unavailable unavailable) {
              return error(StatusCodes.SERVICE_UNAVAILABLE, unavailable.error());
            }
            return error(StatusCodes.BAD_REQUEST, ((Coordinator.Rejected) answer).error());
          });
        }))));
  }

  /** Keeps a code bundle (a jar) and answers its hash, which a submit then names ({@code ?code=HASH}). */
  private Route uploadCode() {
    return extractRequestEntity(entity -> {
      if (!codeAllowed || code.isEmpty()) {
        return onComplete(drain(entity, 0), drained -> code.isEmpty()
            ? error(StatusCodes.FORBIDDEN, "this coordinator takes no code with jobs") : codeRefused());
      }
      CompletionStage<ByteString> read = entity.withSizeLimit(maxCodeBytes).getDataBytes()
          .runFold(ByteString.emptyByteString(), ByteString::concat, system);
      return onComplete(read, body -> {
        if (body.isFailure()) {
          if (Reasons.unwrap(body.failed().get()) instanceof EntityStreamSizeException) {
            return error(StatusCodes.PAYLOAD_TOO_LARGE, "the code bundle is larger than the " + maxCodeBytes
                + " bytes it may have (baton.http.max-code-bytes)");
          }
          return error(StatusCodes.BAD_REQUEST, "cannot read the code bundle: " + Reasons.text(body.failed().get()));
        }
        byte[] bytes = body.get().toArray();
        CompletionStage<String> kept = CompletableFuture.supplyAsync(() -> code.get().put(bytes), blocking);
        return onComplete(kept, hash -> {
          if (hash.isSuccess()) {
            return json(StatusCodes.CREATED, Map.of("hash", hash.get()));
          }
          Throwable cause = Reasons.unwrap(hash.failed().get());
          return cause instanceof IllegalArgumentException ? error(StatusCodes.BAD_REQUEST, cause.getMessage())
              : error(StatusCodes.INTERNAL_SERVER_ERROR, Reasons.text(cause));
        });
      });
    });
  }

  private Route codeRefused() {
    return error(StatusCodes.FORBIDDEN, "this coordinator takes no code with jobs: it listens beyond loopback "
        + "without a token, and shipped code runs on every node; set baton.http.token (BATON_TOKEN)");
  }

  /**
   * A request body read to its end: its first bytes (at most one more than a spec may have) and how many bytes it
   * had in all.
   */
  private record Drained(ByteString kept, long total) {

    Drained add(ByteString chunk, long keep) {
      ByteString more = kept.size() >= keep ? kept : kept.concat(chunk.take((int) (keep - kept.size())));
      return new Drained(more, total + chunk.size());
    }
  }

  /**
   * Reads the whole body, keeping its first {@code keep} bytes and counting the rest. Answering (a 413, a 401)
   * before the client has sent its body makes Pekko close the connection under the client's feet, which then loses
   * the answer; so bodies up to {@code baton.http.drain-limit} are read and dropped, and only beyond that the
   * stream fails with {@link EntityStreamSizeException} (the answer goes out on a connection that is then closed).
   */
  private CompletionStage<Drained> drain(RequestEntity entity, long keep) {
    if (entity instanceof HttpEntity.Strict strict && strict.getData().size() <= drainLimit) {
      // A body that came whole with its request (a spec usually does) needs no stream run to read it.
      return CompletableFuture.completedFuture(new Drained(ByteString.emptyByteString(), 0)
          .add(strict.getData(), keep));
    }
    return entity.withSizeLimit(drainLimit).getDataBytes()
        .runFold(new Drained(ByteString.emptyByteString(), 0), (body, chunk) -> body.add(chunk, keep), system);
  }

  private Route status(String id) {
    if (!JOB_ID.matcher(id).matches()) {
      return error(StatusCodes.NOT_FOUND, "no job " + id);
    }
    CompletionStage<Optional<JobStatus>> found = ask(replyTo -> new Coordinator.GetJob(id, replyTo));
    return onSuccess(found, status -> jobOrNotFound(id, status));
  }

  private Route cancel(String id) {
    if (!JOB_ID.matcher(id).matches()) {
      return error(StatusCodes.NOT_FOUND, "no job " + id);
    }
    CompletionStage<Optional<JobStatus>> found = ask(replyTo -> new Coordinator.CancelJob(id, replyTo));
    return onSuccess(found, status -> jobOrNotFound(id, status));
  }

  private Route failures(String id) {
    if (!JOB_ID.matcher(id).matches()) {
      return error(StatusCodes.NOT_FOUND, "no job " + id);
    }
    return parameterOptional("offset", offset -> parameterOptional("limit", limit -> {
      long from;
      int count;
      try {
        from = Long.parseLong(offset.orElse("0"));
        count = Integer.parseInt(limit.orElse("100"));
      } catch (NumberFormatException e) {
        from = -1;
        count = -1;
      }
      if (from < 0 || count < 1 || count > maxFailuresPage) {
        String got = (offset.isPresent() ? "offset = " + offset.get() : "")
            + (offset.isPresent() && limit.isPresent() ? ", " : "")
            + (limit.isPresent() ? "limit = " + limit.get() : "");
        return error(StatusCodes.BAD_REQUEST, "offset must be a whole number from 0 and limit one from 1 to "
            + maxFailuresPage + ", got " + got);
      }
      long first = from;
      int most = count;
      CompletionStage<Optional<Coordinator.FailuresFile>> found =
          ask(replyTo -> new Coordinator.GetFailures(id, replyTo));
      return onSuccess(found, where -> {
        if (where.isEmpty()) {
          return error(StatusCodes.NOT_FOUND, "no job " + id);
        }
        return onSuccess(CompletableFuture.supplyAsync(() -> readFailures(where.get(), first, most), blocking),
            page -> json(StatusCodes.OK, page));
      });
    }));
  }

  private static FailurePage readFailures(Coordinator.FailuresFile failures, long offset, int limit) {
    if (failures.file().isEmpty()) {
      return new FailurePage(0, offset, List.of());
    }
    try {
      return ErrorsFile.read(failures.file().get(), offset, limit);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the failed items in " + failures.file().get() + ": "
          + Reasons.withKind(e), e);
    }
  }

  private Route rerun(String id) {
    if (!JOB_ID.matcher(id).matches()) {
      return error(StatusCodes.NOT_FOUND, "no job " + id);
    }
    return parameterOptional("failedOnly", failedOnly -> parameterOptional("output", output -> {
      String flag = failedOnly.orElse("false");
      if (!flag.equals("true") && !flag.equals("false")) {
        return error(StatusCodes.BAD_REQUEST, "failedOnly must be true or false, got " + flag);
      }
      CompletionStage<Coordinator.SubmitReply> reply = ask(replyTo -> new Coordinator.Rerun(id,
          Boolean.parseBoolean(flag), output.filter(path -> !path.isBlank()), replyTo));
      return onSuccess(reply, answer -> {
        if (answer instanceof Coordinator.Accepted accepted) {
          return json(StatusCodes.CREATED, accepted.status());
        }
        if (answer instanceof Coordinator.UnknownJob unknown) {
          return error(StatusCodes.NOT_FOUND, unknown.error());
        }
        if (answer instanceof Coordinator.CannotRerun cannot) {
          return error(StatusCodes.CONFLICT, cannot.error());
        }
        if (answer instanceof Coordinator.Unavailable unavailable) {
          return error(StatusCodes.SERVICE_UNAVAILABLE, unavailable.error());
        }
        return error(StatusCodes.BAD_REQUEST, ((Coordinator.Rejected) answer).error());
      });
    }));
  }

  private Route log(String id) {
    if (!JOB_ID.matcher(id).matches()) {
      return error(StatusCodes.NOT_FOUND, "no job " + id);
    }
    return parameterOptional("offset", offset -> {
      long from;
      try {
        from = Math.max(0, offset.map(Long::parseLong).orElse(0L));
      } catch (NumberFormatException e) {
        return error(StatusCodes.BAD_REQUEST, "offset must be a whole number");
      }
      Path file = logDir.resolve("jobs").resolve(id + ".log");
      return onSuccess(CompletableFuture.supplyAsync(() -> readFrom(file, from), blocking), chunk -> chunk
          .map(c -> json(StatusCodes.OK, c))
          .orElseGet(() -> error(StatusCodes.NOT_FOUND, "no log for job " + id)));
    });
  }

  /** The meters in the Prometheus text format (README, Metrics). */
  private Route metrics() {
    CompletionStage<Optional<String>> scraped =
        AskPattern.ask(metrics, MetricsScrape.Scrape::new, askTimeout, system.scheduler());
    return onSuccess(scraped, text -> text
        .map(body -> complete(HttpResponse.create().withStatus(StatusCodes.OK)
            .withEntity(HttpEntities.create(PROMETHEUS_TEXT, body))))
        .orElseGet(() -> error(StatusCodes.NOT_FOUND, "metrics are off here (baton.metrics.enabled = false)")));
  }

  private Route nodes() {
    return onSuccess(nodeList(), members -> json(StatusCodes.OK, members));
  }

  /**
   * The cluster's members with what the dispatcher knows of each: its workers, how many of them are busy (batches
   * it holds, at most its workers), the items it has finished since it came, and whether the cluster can reach it.
   */
  private CompletionStage<List<Map<String, Object>>> nodeList() {
    CompletionStage<List<WorkDispatcher.NodeInfo>> pulling =
        AskPattern.ask(dispatcher, WorkDispatcher.GetNodes::new, askTimeout, system.scheduler());
    return pulling.thenApply(infos -> {
      Map<String, WorkDispatcher.NodeInfo> byAddress = new LinkedHashMap<>();
      infos.forEach(info -> byAddress.put(info.address(), info));
      List<Map<String, Object>> members = new ArrayList<>();
      if (!clustered) {
        return members;
      }
      Set<Member> unreachable = Cluster.get(system).state().getUnreachable();
      for (Member member : Cluster.get(system).state().getMembers()) {
        String address = member.address().toString();
        Optional<WorkDispatcher.NodeInfo> info = Optional.ofNullable(byAddress.get(address));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("address", address);
        // Pekko adds a data-center role to every member; it says nothing to a Baton user.
        row.put("roles", member.getRoles().stream().filter(role -> !role.startsWith("dc-")).sorted().toList());
        row.put("status", member.status().toString());
        row.put("workers", info.map(WorkDispatcher.NodeInfo::workers).orElse(0));
        row.put("busy", info.map(node -> Math.min(node.workers(), node.inFlight())).orElse(0));
        row.put("itemsDone", info.map(WorkDispatcher.NodeInfo::itemsDone).orElse(0L));
        row.put("reachable", !unreachable.contains(member));
        members.add(row);
      }
      return members;
    });
  }

  /** A part of a job log: the text from {@code offset}, and where the next read starts. */
  public record LogChunk(String id, long offset, long next, String text) {
  }

  private static Optional<LogChunk> readFrom(Path file, long offset) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long length = in.length();
      long from = Math.min(offset, length);
      byte[] bytes = new byte[(int) Math.min(MAX_LOG_CHUNK, length - from)];
      in.seek(from);
      in.readFully(bytes);
      String name = file.getFileName().toString();
      return Optional.of(new LogChunk(name.substring(0, name.length() - 4), from, from + bytes.length,
          new String(bytes, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private Route jobOrNotFound(String id, Optional<JobStatus> found) {
    return found.map(status -> json(StatusCodes.OK, status))
        .orElseGet(() -> error(StatusCodes.NOT_FOUND, "no job " + id));
  }

  private <T> CompletionStage<T> ask(Function<ActorRef<T>, Coordinator.Command> make) {
    return AskPattern.ask(coordinator, make, askTimeout, system.scheduler());
  }

  private Route json(StatusCode status, Object body) {
    return complete(HttpResponse.create().withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, Json.write(body))));
  }

  private Route error(StatusCode status, String message) {
    return json(status, Map.of("error", message));
  }

  private RejectionHandler rejections() {
    // A body over the limit fails the entity stream; Pekko's answer would name its own settings, not Baton's.
    RejectionHandler bodies = RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, rejection -> rejection.getCause()
            instanceof EntityStreamSizeException ? error(StatusCodes.PAYLOAD_TOO_LARGE, tooLarge())
            : error(StatusCodes.BAD_REQUEST, "cannot read the request body: " + rejection.message()))
        .build();
    // Pekko's own rejection answers, with their text moved into Baton's JSON error shape.
    return bodies.withFallback(RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
        return response;
      }
      String text = response.entity() instanceof HttpEntity.Strict strict
          ? strict.getData().utf8String() : response.status().reason();
      return response.withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON,
          Json.write(Map.of("error", text.isBlank() ? response.status().reason() : text))));
    }));
  }

  private String tooLarge() {
    return "the request is larger than the " + maxSpecBytes + " bytes a spec may have (baton.http.max-spec-bytes)";
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .matchAny(e -> {
          Throwable cause = Reasons.unwrap(e);
          if (cause instanceof EntityStreamSizeException) {
            // A body beyond baton.http.drain-limit: not drained, so Pekko closes the connection after this answer.
            LOG.debug("request body over the drain limit: {}", cause.getMessage());
            return error(StatusCodes.PAYLOAD_TOO_LARGE, tooLarge());
          }
          LOG.error("HTTP request failed", e);
          if (cause instanceof TimeoutException) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, "the coordinator did not answer in time");
          }
          return error(StatusCodes.INTERNAL_SERVER_ERROR, "internal error: " + Reasons.text(cause));
        })
        .build();
  }
}
