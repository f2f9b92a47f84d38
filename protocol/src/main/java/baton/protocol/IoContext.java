package baton.protocol;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** What an {@link IoOp} may use to wait without holding a thread. */
public interface IoContext {

  /** Runs a blocking call on Baton's bounded blocking-I/O dispatcher, never on the stream's own threads. */
  <T> CompletionStage<T> blocking(Supplier<T> call);

  /** Completes after the given time, within about a millisecond; no thread waits. */
  CompletionStage<Void> delay(Duration duration);

  /** A shared non-blocking HTTP client. */
  HttpClient http();

  /** The executor behind {@link #blocking}, for APIs that take one. */
  Executor blockingExecutor();
}
