package baton.protocol.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The answer to a {@link WorkBatch}: one result per item, in the batch's order.
 *
 * @param node the address of the node whose worker ran the batch
 * @param runNanos how long the worker took for the batch's items, from its first item's start to its last item's
 *     end; 0 when no worker ran them (a batch failed without running, or timed out)
 */
public record WorkResult(long batch, List<ItemResult> results, String node, long runNanos)
    implements CborSerializable {

  @JsonCreator
  public WorkResult {
  }

  /** A result whose run time is not known. */
  public WorkResult(long batch, List<ItemResult> results, String node) {
    this(batch, results, node, 0);
  }

  /** What became of one item. */
  public enum Status { OK, DROPPED, FAILED }

  /**
   * One item's result.
   *
   * @param key the item's key; null in a result that came over the wire, whose results are in the batch's order
   * @param payload the new payload when {@code OK}
   * @param error why it failed when {@code FAILED}
   */
  @JsonFormat(shape = JsonFormat.Shape.ARRAY)
  @JsonPropertyOrder({"key", "status", "payload", "error"})
  public record ItemResult(String key, Status status, byte[] payload, String error) implements CborSerializable {

    public static ItemResult ok(String key, byte[] payload) {
      return new ItemResult(key, Status.OK, payload, null);
    }

    public static ItemResult dropped(String key) {
      return new ItemResult(key, Status.DROPPED, null, null);
    }

    public static ItemResult failed(String key, String error) {
      return new ItemResult(key, Status.FAILED, null, error);
    }
  }
}
