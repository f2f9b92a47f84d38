package baton.node;

import com.typesafe.config.Config;

/** A node's settings, read once from {@code baton.node}. */
public record NodeSettings(int workers) {

  public static NodeSettings from(Config config) {
    int workers = config.getInt("baton.node.workers");
    return new NodeSettings(workers > 0 ? workers : Runtime.getRuntime().availableProcessors());
  }

  public NodeSettings withWorkers(int workers) {
    return workers > 0 ? new NodeSettings(workers) : this;
  }
}
