package baton.node;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * A node's settings, read once from {@code baton.node}.
 *
 * @param rejoinDelay how long {@code baton node} waits before it starts afresh after the cluster let it go
 */
public record NodeSettings(int workers, Duration rejoinDelay) {

  public static NodeSettings from(Config config) {
    int workers = config.getInt("baton.node.workers");
    return new NodeSettings(workers > 0 ? workers : Runtime.getRuntime().availableProcessors(),
        config.getDuration("baton.node.rejoin-delay"));
  }

  public NodeSettings withWorkers(int workers) {
    return workers > 0 ? new NodeSettings(workers, rejoinDelay) : this;
  }
}
