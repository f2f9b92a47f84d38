package baton.node;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * A node's settings, read once from {@code baton.node}.
 *
 * @param rejoinDelay how long {@code baton node} waits before it starts afresh after the cluster let it go
 * @param seedHintAfter how long a node waits to join before it says that it waits for the seed
 * @param seedHintInterval how often it says so again while it waits
 * @param batchesPerWorker how many batches the node takes at once per worker (its credits at a dispatcher)
 */
public record NodeSettings(int workers, Duration rejoinDelay, Duration seedHintAfter, Duration seedHintInterval,
    int batchesPerWorker, Duration pullRefresh) {

  public static NodeSettings from(Config config) {
    int workers = config.getInt("baton.node.workers");
    return new NodeSettings(workers > 0 ? workers : Runtime.getRuntime().availableProcessors(),
        config.getDuration("baton.node.rejoin-delay"), config.getDuration("baton.node.seed-hint-after"),
        config.getDuration("baton.node.seed-hint-interval"), config.getInt("baton.node.batches-per-worker"),
        config.getDuration("baton.node.pull-refresh"));
  }

  public NodeSettings withWorkers(int workers) {
    return workers > 0
        ? new NodeSettings(workers, rejoinDelay, seedHintAfter, seedHintInterval, batchesPerWorker, pullRefresh)
        : this;
  }

  public NodeSettings withPullRefresh(Duration every) {
    return new NodeSettings(workers, rejoinDelay, seedHintAfter, seedHintInterval, batchesPerWorker, every);
  }
}
