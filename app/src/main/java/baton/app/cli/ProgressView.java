package baton.app.cli;

import baton.coordinator.api.JobStatus;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Shows a running job's progress on stderr: a bar on a terminal, else a line every few seconds. */
interface ProgressView extends AutoCloseable {

  void update(JobStatus status);

  @Override
  void close();

  /** A bar when stderr is a terminal, lines otherwise. */
  static ProgressView forStderr(PrintWriter err, Duration lineInterval) {
    return Terminal.isInteractive() ? new Bar(System.err) : new Lines(err, lineInterval);
  }

  /** Writes nothing; for {@code --quiet} runs. */
  static ProgressView none() {
    return new ProgressView() {
      @Override
      public void update(JobStatus status) {
      }

      @Override
      public void close() {
      }
    };
  }

  /** A progress bar drawn by the progressbar library. */
  final class Bar implements ProgressView {
    private final PrintStream stream;
    private ProgressBar bar;

    Bar(PrintStream stream) {
      this.stream = stream;
    }

    @Override
    public void update(JobStatus status) {
      JobStatus.Items items = status.items();
      if (bar == null) {
        bar = new ProgressBarBuilder()
            .setTaskName(status.name())
            .setInitialMax(items.total())
            .setStyle(ProgressBarStyle.ASCII)
            .setConsumer(new ConsoleProgressBarConsumer(stream))
            .setUpdateIntervalMillis(200)
            .showSpeed()
            .build();
      }
      bar.maxHint(items.total());
      bar.stepTo(done(items));
      String throttled = throttled(status);
      bar.setExtraMessage(status.waiting() != null ? status.waiting()
          : !throttled.isEmpty() ? throttled
          : items.failed() > 0 ? items.failed() + " failed" : "");
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }

  /** One line every interval, for logs and pipes. */
  final class Lines implements ProgressView {
    private final PrintWriter err;
    private final long intervalNanos;
    private long lastLine;

    Lines(PrintWriter err, Duration interval) {
      this.err = err;
      this.intervalNanos = interval.toNanos();
      this.lastLine = System.nanoTime();
    }

    @Override
    public void update(JobStatus status) {
      long now = System.nanoTime();
      if (now - lastLine < intervalNanos || status.state().isFinal()) {
        return;
      }
      lastLine = now;
      JobStatus.Items items = status.items();
      String total = items.total() < 0 ? "?" : Long.toString(items.total());
      String percent = items.total() > 0 ? String.format(" (%d%%)", done(items) * 100 / items.total()) : "";
      String throttled = throttled(status);
      err.printf("%s: %d/%s items%s, %d failed, %.1f s%s%s%n", status.id(), done(items), total, percent,
          items.failed(), status.durationMillis() / 1000.0, status.waiting() == null ? "" : "; " + status.waiting(),
          throttled.isEmpty() ? "" : "; " + throttled);
      err.flush();
    }

    @Override
    public void close() {
      err.flush();
    }
  }

  /** The stages whose calls wait for their rate limit now ("stage 1 (http-get) throttled at 50/s"), or "". */
  private static String throttled(JobStatus status) {
    List<String> stages = new ArrayList<>();
    for (int i = 0; i < status.stages().size(); i++) {
      JobStatus.StageStatus stage = status.stages().get(i);
      if (stage.throttled() != null) {
        stages.add("stage " + (i + 1) + " (" + stage.op() + ") throttled at " + stage.throttled());
      }
    }
    return String.join(", ", stages);
  }

  private static long done(JobStatus.Items items) {
    return items.succeeded() + items.failed() + items.filtered();
  }
}
