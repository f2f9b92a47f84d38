package baton.coordinator;

import baton.protocol.op.IoContext;
import com.typesafe.config.Config;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The {@link IoContext} io ops get: the blocking-I/O dispatcher, the JDK's delay scheduler, one HTTP client and the
 * check of {@code baton.io.http.allow}.
 */
final class IoRuntime implements IoContext {

  static final String BLOCKING_DISPATCHER = "baton.blocking-io-dispatcher";

  private final ActorSystem<?> system;
  private final Executor blocking;
  private final HttpAllowList allow;

  IoRuntime(ActorSystem<?> system) {
    this.system = system;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER));
    this.allow = HttpAllowList.from(system.settings().config());
  }

  /**
   * The one HTTP client of an actor system's io ops, made when an op first asks for it: most jobs never do, and
   * making it (its classes, its selector thread) cost every {@code baton run} about 0.1 s.
   */
  record Http(HttpClient client) implements Extension {

    static final ExtensionId<Http> ID = new ExtensionId<>() {
      @Override
      public Http createExtension(ActorSystem<?> system) {
        Config config = system.settings().config();
        // Redirects are not followed here: each hop's address must pass checkHttp first (http-get follows them).
        return new Http(HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(config.getDuration("baton.io.http.connect-timeout"))
            .executor(system.dispatchers().lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER)))
            .build());
      }
    };
  }

  @Override
  public <T> CompletionStage<T> blocking(Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, blocking);
  }

  @Override
  public CompletionStage<Void> delay(Duration duration) {
    if (duration.isZero()) {
      return CompletableFuture.completedFuture(null);
    }
    // The JDK's delay scheduler wakes within a millisecond; Pekko's scheduler ticks every 10 ms, which would stretch
    // a 1 ms delay tenfold. The task only completes the stage, right on the scheduler's thread.
    return CompletableFuture.runAsync(() -> { },
        CompletableFuture.delayedExecutor(duration.toNanos(), TimeUnit.NANOSECONDS, Runnable::run));
  }

  @Override
  public HttpClient http() {
    return Http.ID.apply(system).client();
  }

  @Override
  public CompletionStage<Void> checkHttp(URI url) {
    String host = url.getHost();
    if (host == null || host.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no host in " + url));
    }
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    int port = url.getPort() >= 0 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    if (HttpAllowList.isLiteral(bare)) {
      try {
        check(bare, port);
        return CompletableFuture.completedFuture(null);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    // A name is looked up, which blocks. The HTTP client looks it up again when it connects; within the JVM's address
    // cache (networkaddress.cache.ttl, 30 s) it gets the answer checked here (README Limits names the gap left).
    return CompletableFuture.runAsync(() -> check(bare, port), blocking);
  }

  /** Every address the host resolves to must be allowed: the client may connect to any of them. */
  private void check(String host, int port) {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new UncheckedIOException("unknown host " + host, e);
    }
    for (InetAddress address : addresses) {
      allow.refusal(host, address, port).ifPresent(reason -> {
        throw new SecurityException(reason);
      });
    }
  }

  @Override
  public Executor blockingExecutor() {
    return blocking;
  }
}
