package baton.coordinator;

import baton.coordinator.spec.JobDefaults;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/** The coordinator's settings, read once from {@code baton}. */
public record CoordinatorSettings(
    JobDefaults job,
    Duration retryBackoffMin,
    Duration retryBackoffMax,
    Duration progressInterval,
    Duration reportInterval,
    Duration checkpointInterval,
    int maxLineBytes,
    int finishedJobsKept,
    long maxItemBytes,
    Duration batchAnswerTimeout,
    Duration askTimeout,
    Duration listPatience,
    Duration stopAcceptingTimeout,
    Duration httpUnbindTimeout,
    int maxRunningJobs) {

  public static CoordinatorSettings from(Config config) {
    Config baton = config.getConfig("baton");
    return new CoordinatorSettings(
        JobDefaults.from(config),
        baton.getDuration("job.retry-backoff.min"),
        baton.getDuration("job.retry-backoff.max"),
        baton.getDuration("coordinator.progress-log-interval"),
        baton.getDuration("coordinator.report-interval"),
        baton.getDuration("coordinator.checkpoint-interval"),
        (int) baton.getMemorySize("coordinator.max-line-bytes").toBytes(),
        baton.getInt("coordinator.finished-jobs-kept"),
        baton.getBytes("cluster.max-item-bytes"),
        baton.getDuration("coordinator.batch-answer-timeout"),
        baton.getDuration("coordinator.ask-timeout"),
        baton.getDuration("coordinator.list-patience"),
        baton.getDuration("coordinator.stop-accepting-timeout"),
        baton.getDuration("coordinator.http-unbind-timeout"),
        maxRunningJobs(baton));
  }

  // 0 means a few per core: a job mostly waits (on io, on workers), so more jobs than cores keep the cores busy.
  private static int maxRunningJobs(Config baton) {
    int max = baton.getInt("coordinator.max-running-jobs");
    if (max < 0) {
      throw new ConfigException.BadValue("baton.coordinator.max-running-jobs",
          "must be 0 (four per core) or more, got " + max);
    }
    return max > 0 ? max : 4 * Runtime.getRuntime().availableProcessors();
  }

  /** The wait before retry number {@code attempt} (1-based): doubles from min up to max. */
  public Duration backoff(int attempt) {
    long millis = retryBackoffMin.toMillis() << Math.min(attempt - 1, 30);
    return Duration.ofMillis(Math.min(millis, retryBackoffMax.toMillis()));
  }
}
