package baton.node;

import baton.protocol.op.OpRegistry;
import baton.protocol.wire.WorkBatch;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Routers;

/** A pool of {@link Worker}s on the CPU dispatcher; a crashed worker is restarted and the pool keeps its size. */
public final class WorkerPool {

  /** The dispatcher declared in the node's {@code reference.conf}, sized to the cores. */
  public static final String CPU_DISPATCHER = "baton.cpu-dispatcher";

  private WorkerPool() {
  }

  public static Behavior<WorkBatch> create(OpRegistry registry, NodeSettings settings) {
    Behavior<WorkBatch> worker = Behaviors.supervise(Worker.create(registry)).onFailure(SupervisorStrategy.restart());
    return Routers.pool(settings.workers(), worker)
        .withRoundRobinRouting()
        .withRouteeProps(DispatcherSelector.fromConfig(CPU_DISPATCHER));
  }
}
