package baton.coordinator.stream;

import java.time.Duration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;

/**
 * Measures how busy the calls of one stage are: it wraps the stage's {@code mapAsyncUnordered} (one element in is
 * one call: an item of an io stage, a batch of a cpu stage), counts what goes in and comes out, and reports every
 * {@code interval} how many are in flight and which share of the interval the stage was saturated: all
 * {@code parallelism} calls running while the stage's downstream waits for a result. A stage whose downstream does
 * not pull (a slower stage after it) holds finished results rather than running calls, so it does not count as
 * saturated. The counts live in this one operator, so no state is shared; the report is one call per interval.
 */
final class StageGauge<I, O> extends GraphStage<BidiShape<I, I, O, O>> {

  /** Hears a stage's load: its calls in flight now, and the share of the last interval it was saturated. */
  interface Reporter {
    void load(int inFlight, double saturatedShare);
  }

  private final Inlet<I> in1 = Inlet.create("StageGauge.in1");
  private final Outlet<I> out1 = Outlet.create("StageGauge.out1");
  private final Inlet<O> in2 = Inlet.create("StageGauge.in2");
  private final Outlet<O> out2 = Outlet.create("StageGauge.out2");
  private final BidiShape<I, I, O, O> shape = BidiShape.of(in1, out1, in2, out2);
  private final int parallelism;
  private final Duration interval;
  private final Reporter reporter;

  private StageGauge(int parallelism, Duration interval, Reporter reporter) {
    this.parallelism = parallelism;
    this.interval = interval;
    this.reporter = reporter;
  }

  /** {@code calls} with its load reported to {@code reporter} every {@code interval}. */
  static <I, O> Flow<I, O, NotUsed> around(Flow<I, O, NotUsed> calls, int parallelism, Duration interval,
      Reporter reporter) {
    return BidiFlow.fromGraph(new StageGauge<I, O>(parallelism, interval, reporter)).join(calls);
  }

  @Override
  public BidiShape<I, I, O, O> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new TimerGraphStageLogic(shape) {
      private long entered;
      private long exited;
      private boolean saturated;
      private long saturatedSince;
      private long saturatedNanos;
      private long periodStart;

      {
        setHandler(in1, new AbstractInHandler() {
          @Override
          public void onPush() {
            entered++;
            push(out1, grab(in1));
            update();
          }

          // Each side ends on its own: the calls in flight still come out after the input ended.
          @Override
          public void onUpstreamFinish() {
            complete(out1);
          }

          @Override
          public void onUpstreamFailure(Throwable failure) {
            fail(out1, failure);
          }
        });
        setHandler(out1, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(in1);
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            cancel(in1, cause);
          }
        });
        setHandler(in2, new AbstractInHandler() {
          @Override
          public void onPush() {
            exited++;
            push(out2, grab(in2));
            update();
          }

          @Override
          public void onUpstreamFinish() {
            complete(out2);
          }

          @Override
          public void onUpstreamFailure(Throwable failure) {
            fail(out2, failure);
          }
        });
        setHandler(out2, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(in2);
            update();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            cancel(in2, cause);
          }
        });
      }

      @Override
      public void preStart() {
        periodStart = System.nanoTime();
        scheduleWithFixedDelay("report", interval, interval);
      }

      // The clock is read only when saturation changes, not for every element.
      private void update() {
        boolean now = entered - exited >= parallelism && isAvailable(out2);
        if (now != saturated) {
          long nanos = System.nanoTime();
          if (saturated) {
            saturatedNanos += nanos - saturatedSince;
          } else {
            saturatedSince = nanos;
          }
          saturated = now;
        }
      }

      @Override
      public void onTimer(Object key) {
        long nanos = System.nanoTime();
        long busy = saturatedNanos + (saturated ? nanos - saturatedSince : 0);
        long period = Math.max(1, nanos - periodStart);
        reporter.load((int) (entered - exited), Math.min(1.0, (double) busy / period));
        periodStart = nanos;
        saturatedNanos = 0;
        saturatedSince = nanos;
      }
    };
  }
}
