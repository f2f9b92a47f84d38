package baton.coordinator;

import baton.protocol.IoContext;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.pattern.Patterns;

/** The {@link IoContext} io ops get: the blocking-I/O dispatcher, the system's scheduler and one HTTP client. */
final class IoRuntime implements IoContext {

  static final String BLOCKING_DISPATCHER = "baton.blocking-io-dispatcher";

  private final ActorSystem<?> system;
  private final Executor blocking;
  private final HttpClient http;

  IoRuntime(ActorSystem<?> system) {
    this.system = system;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER));
    this.http = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(10))
        .executor(blocking)
        .build();
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
    // A null value never completes the stage Patterns.after returns (Scala's promise keeps it pending), hence Done.
    return Patterns.after(duration, system, () -> CompletableFuture.completedFuture(Done.getInstance()))
        .thenApply(done -> null);
  }

  @Override
  public HttpClient http() {
    return http;
  }

  @Override
  public Executor blockingExecutor() {
    return blocking;
  }
}
