package baton.app.cli;

import baton.app.logging.LogSetup;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM while {@code baton run} runs a job: the first one is reported to the command, which
 * cancels the job and ends with its summary; a second one stops the process at once. {@code sun.misc.Signal}
 * (module jdk.unsupported, as sbt and JLine use it) is the JDK's only way to handle a signal without ending the
 * process. Closing puts back the handlers there were before.
 */
final class Interrupts implements AutoCloseable {

  private static final List<Signal> SIGNALS = List.of(new Signal("INT"), new Signal("TERM"));

  private final CompletableFuture<String> first = new CompletableFuture<>();
  /** The handlers there were before, to put back; only the command's thread reads and writes it. */
  private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();

  private Interrupts() {
  }

  /** Takes over SIGINT and SIGTERM; a signal the JVM keeps to itself (say under -Xrs) is left alone. */
  static Interrupts install() {
    Interrupts interrupts = new Interrupts();
    for (Signal signal : SIGNALS) {
      handle(signal, interrupts::onFirst).ifPresent(old -> interrupts.previous.put(signal, old));
    }
    return interrupts;
  }

  /** Waits up to the given time for the first signal; its name (INT or TERM) when one came. */
  Optional<String> await(Duration patience) throws InterruptedException {
    try {
      return Optional.of(first.get(patience.toMillis(), TimeUnit.MILLISECONDS));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The first signal's name, if one came. */
  Optional<String> received() {
    return Optional.ofNullable(first.getNow(null));
  }

  /** The exit code for an end by this signal, as a shell reports a process killed by it: 128 + its number. */
  static int exitCode(String signal) {
    return "TERM".equals(signal) ? ExitCodes.TERMINATED : ExitCodes.INTERRUPTED;
  }

  private void onFirst(Signal signal) {
    // From now on every one of these signals stops the process at once.
    for (Signal each : SIGNALS) {
      handle(each, Interrupts::stopAtOnce);
    }
    first.complete(signal.getName());
  }

  private static Optional<SignalHandler> handle(Signal signal, SignalHandler handler) {
    try {
      return Optional.of(Signal.handle(signal, handler));
    } catch (IllegalArgumentException e) {
      // The JVM keeps this signal to itself here: its own handling stays.
      return Optional.empty();
    }
  }

  private static void stopAtOnce(Signal signal) {
    PrintStream err = System.err;
    err.println("baton: stopped at once (SIG" + signal.getName() + " again); the job log and the output may end "
        + "mid-job");
    err.flush();
    LogSetup.stop();
    Runtime.getRuntime().halt(exitCode(signal.getName()));
  }

  @Override
  public void close() {
    previous.forEach(Signal::handle);
  }
}
