package baton.coordinator;

import baton.protocol.IoContext;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/** The {@link IoContext} io ops get: the blocking-I/O dispatcher, the JDK's delay scheduler and one HTTP client. */
final class IoRuntime implements IoContext {

  static final String BLOCKING_DISPATCHER = "baton.blocking-io-dispatcher";

  private final Executor blocking;
  private final HttpClient http;

  IoRuntime(ActorSystem<?> system) {
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
    // The JDK's delay scheduler wakes within a millisecond; Pekko's scheduler ticks every 10 ms, which would stretch
    // a 1 ms delay tenfold. The task only completes the stage, right on the scheduler's thread.
    return CompletableFuture.runAsync(() -> { },
        CompletableFuture.delayedExecutor(duration.toNanos(), TimeUnit.NANOSECONDS, Runnable::run));
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
