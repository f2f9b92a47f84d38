package baton.protocol.op;

import java.net.URI;
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

  /**
   * A shared non-blocking HTTP client. It follows no redirects and checks no addresses: an op that fetches URLs
   * from its input calls {@link #checkHttp} for every URL it sends to, each redirect included.
   */
  HttpClient http();

  /**
   * Completes when a request to {@code url} may be sent: its host, resolved off the stream's threads, is no address
   * the installation refuses ({@code baton.io.http.allow}). Fails otherwise, with a reason for the job log.
   */
  CompletionStage<Void> checkHttp(URI url);

  /** The executor behind {@link #blocking}, for APIs that take one. */
  Executor blockingExecutor();
}
