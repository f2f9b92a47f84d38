package baton.coordinator.stream;

import baton.protocol.op.OpKind;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.OpRef;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long a worker takes for one item of each cpu op (an op with its parameters: {@code sha256 rounds=1} and
 * {@code sha256 rounds=1000} are two), as the last job that ran it measured from its finished batches. A job is
 * handed the times of its own ops when it starts ({@link #of}), cuts its batches by them ({@link JobStream}), and
 * reports what it measured when it ends ({@link #learn}). At most {@code kept} ops are kept, the least recently
 * learned dropped first.
 *
 * <p>Not for sharing between threads: the coordinator actor owns one.
 */
public final class ItemTimes {

  private final int kept;
  private final LinkedHashMap<OpRef, Long> nanos = new LinkedHashMap<>();

  /** @param kept the most ops to remember ({@code baton.coordinator.item-times-kept}) */
  public ItemTimes(int kept) {
    this.kept = kept;
  }

  /** The known nanoseconds per item of {@code spec}'s cpu ops; an op never measured is absent. */
  public Map<OpRef, Long> of(JobSpec spec) {
    Map<OpRef, Long> known = new HashMap<>();
    for (JobSpec.Stage stage : spec.stages()) {
      Long time = stage.kind() == OpKind.CPU ? nanos.get(stage.ref()) : null;
      if (time != null) {
        known.put(stage.ref(), time);
      }
    }
    return Map.copyOf(known);
  }

  /** What a job measured replaces what was known of those ops. */
  public void learn(Map<OpRef, Long> measured) {
    measured.forEach((op, time) -> {
      nanos.remove(op);
      nanos.put(op, time);
    });
    var oldest = nanos.keySet().iterator();
    while (nanos.size() > kept && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
  }
}
