package baton.coordinator.stream;

import baton.protocol.spec.JobSpec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * Cuts the chunks that reach a cpu stage into the batches it sends to workers, one batch when the next is pulled,
 * each of the size its {@link BatchSize} gives at that moment and of about {@code max-item-bytes} at most (a batch is
 * one message across the cluster; an item larger than that fails here, alone). A batch never spans two chunks. Each
 * batch carries a future through which the stage reports how long a worker took for it, completed before the batch's
 * own result (with {@link Took#NONE} when no worker's time is known). The operator reads the reports of the batches
 * it cut when it cuts the next one, so the size is only read and changed by the operator, and a batch cut after
 * another's result came out is always sized by that result's report. (An {@code AsyncCallback} could not promise
 * that: {@code mapAsyncUnordered} takes a result that is already complete when the call returns at once, and pulls
 * the next batch before the callback's event is handled.)
 */
final class BatchCutter extends GraphStage<FlowShape<List<Outcome>, BatchCutter.Batch>> {

  /** Items to run together on a worker, and where to report how long a worker took for them. */
  record Batch(List<Outcome> outcomes, CompletableFuture<Took> took) {
  }

  /** A worker took {@code nanos} for {@code items} items. */
  record Took(int items, long nanos) {
    /** No worker's time is known for the batch (it failed, or all its items had failed before). */
    static final Took NONE = new Took(0, 0);
  }

  private final Inlet<List<Outcome>> in = Inlet.create("BatchCutter.in");
  private final Outlet<Batch> out = Outlet.create("BatchCutter.out");
  private final FlowShape<List<Outcome>, Batch> shape = FlowShape.of(in, out);
  private final JobSpec.Stage stage;
  private final BatchSize.Limits limits;
  private final long maxBytes;

  BatchCutter(JobSpec.Stage stage, BatchSize.Limits limits, long maxBytes) {
    this.stage = stage;
    this.limits = limits;
    this.maxBytes = maxBytes;
  }

  @Override
  public FlowShape<List<Outcome>, Batch> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new GraphStageLogic(shape) {
      // Each materialization sizes its own batches.
      private final BatchSize size = BatchSize.of(stage, limits);
      // The reports of the batches cut and not yet heard of, oldest first: at most the stage's parallelism and one.
      private final ArrayDeque<CompletableFuture<Took>> reports = new ArrayDeque<>();
      private List<Outcome> chunk = List.of();
      private int next;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            chunk = grab(in);
            next = 0;
            if (chunk.isEmpty()) {
              pull(in);
            } else {
              push(out, cut());
            }
          }

          @Override
          public void onUpstreamFinish() {
            if (next >= chunk.size()) {
              completeStage();
            }
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (next < chunk.size()) {
              push(out, cut());
              if (next >= chunk.size() && isClosed(in)) {
                completeStage();
              }
            } else {
              pull(in);
            }
          }
        });
      }

      private Batch cut() {
        learn();
        int most = size.next();
        List<Outcome> batch = new ArrayList<>(Math.min(most, chunk.size() - next));
        long bytes = 0;
        while (next < chunk.size()) {
          Outcome checked = refuseOversize(chunk.get(next));
          long weight = weight(checked);
          if (!batch.isEmpty() && (batch.size() >= most || bytes + weight > maxBytes)) {
            break;
          }
          batch.add(checked);
          bytes += weight;
          next++;
        }
        CompletableFuture<Took> report = new CompletableFuture<>();
        reports.add(report);
        return new Batch(batch, report);
      }

      /** Takes in the reports of the batches whose time is known by now. */
      private void learn() {
        for (Iterator<CompletableFuture<Took>> it = reports.iterator(); it.hasNext(); ) {
          CompletableFuture<Took> report = it.next();
          if (report.isDone()) {
            Took took = report.join();
            size.took(took.items(), took.nanos());
            it.remove();
          }
        }
      }
    };
  }

  private Outcome refuseOversize(Outcome outcome) {
    if (outcome instanceof Outcome.Ok ok && ok.item().payload().length > maxBytes) {
      return new Outcome.Failed(ok.seq(), ok.key(), stage.index(), "item has " + ok.item().payload().length
          + " bytes, more than a cpu stage takes (baton.cluster.max-item-bytes = " + maxBytes + ")", 0);
    }
    return outcome;
  }

  private static long weight(Outcome outcome) {
    return outcome instanceof Outcome.Ok ok ? ok.item().payload().length + ok.key().length() : 0;
  }
}
