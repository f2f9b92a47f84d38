package baton.coordinator.spec;

import baton.protocol.op.IoRoots;
import com.typesafe.config.Config;
import java.time.Duration;

/**
 * What a job spec gets for the keys it leaves out, and the limits it must keep to, read once from {@code baton.job}
 * and {@code baton.io}.
 */
public record JobDefaults(
    int retries,
    int maxFailedItems,
    Duration itemTimeout,
    int ioParallelism,
    int cpuParallelism,
    int cpuBatch,
    int cpuBatchMax,
    Duration cpuBatchTime,
    int maxParallelism,
    long maxItems,
    int maxNesting,
    IoRoots roots) {

  public static JobDefaults from(Config config) {
    Config job = config.getConfig("baton.job");
    return new JobDefaults(
        job.getInt("retries"),
        job.getInt("max-failed-items"),
        job.getDuration("item-timeout"),
        job.getInt("io-parallelism"),
        job.getInt("cpu-parallelism"),
        job.getInt("cpu-batch"),
        job.getInt("cpu-batch-max"),
        job.getDuration("cpu-batch-time"),
        job.getInt("max-parallelism"),
        job.getLong("max-items"),
        job.getInt("max-nesting"),
        IoRoots.from(config));
  }
}
