package baton.coordinator.http;

import baton.coordinator.CodeStore;
import baton.coordinator.Coordinator;
import baton.coordinator.CoordinatorSettings;
import baton.coordinator.Journal;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * The HTTP API in this JVM: a coordinator, a dispatcher (no nodes) and the routes, bound to a free port on
 * 127.0.0.1. Settings override reference.conf, e.g. the token or the io roots.
 */
public final class ApiServer implements AutoCloseable {

  private final ActorTestKit testKit;
  private final ServerBinding binding;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  public final URI base;

  public ApiServer(Map<String, Object> settings, Path logDir) {
    this(settings, logDir, null, bundle -> { });
  }

  /**
   * The API taking code with jobs into a {@link CodeStore} when {@code codeLoopbackOnly} is not null (whether the
   * API counts as reached by loopback only); {@code bundles} sees each job's registry made from a bundle.
   */
  public ApiServer(Map<String, Object> settings, Path logDir, Boolean codeLoopbackOnly,
      Consumer<OpRegistry> bundles) {
    Config config = Journal.withDatabase(
        ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load()).resolve());
    testKit = ActorTestKit.create("api-test", config);
    try {
      OpRegistry registry = OpRegistry.load(ApiServer.class.getClassLoader(), config);
      CoordinatorSettings coordinatorSettings = CoordinatorSettings.from(config);
      ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create(), "dispatcher");
      CodeStore code = CodeStore.open(config);
      JobSpecParser parser = new JobSpecParser(registry, coordinatorSettings.job()).withBundles(hash -> {
        OpRegistry bundle = code.registry(registry, hash);
        bundles.accept(bundle);
        return bundle;
      });
      ActorRef<Coordinator.Command> coordinator = testKit.spawn(Coordinator.create(coordinatorSettings,
          parser, dispatcher), "coordinator");
      HttpApi plain = new HttpApi(testKit.system(), coordinator, dispatcher, logDir,
          config.getBytes("baton.http.max-spec-bytes"));
      HttpApi api = codeLoopbackOnly == null ? plain : plain.withCode(code, codeLoopbackOnly);
      binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(api.routes())
          .toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      testKit.shutdownTestKit();
      throw new IllegalStateException("cannot start the API: " + e, e);
    }
    base = URI.create("http://127.0.0.1:" + binding.localAddress().getPort());
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send(request(path).GET());
  }

  HttpResponse<String> submit(String spec, Path dir) throws IOException, InterruptedException {
    return send(request("/api/jobs?name=spec.conf&dir=" + java.net.URLEncoder.encode(dir.toString(),
        StandardCharsets.UTF_8)).header("Content-Type", "text/plain; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString(spec, StandardCharsets.UTF_8)));
  }

  @Override
  public void close() {
    try {
      binding.unbind().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      // The actor system goes down next anyway.
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
