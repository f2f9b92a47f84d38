package baton.protocol.wire;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The answer to a {@link WorkBatch}: one result per item, in the batch's order.
 *
 * @param node the address of the node whose worker ran the batch
 */
public record WorkResult(long batch, List<ItemResult> results, String node) implements CborSerializable {

  /** What became of one item. */
  public enum Status { OK, DROPPED, FAILED }

  /**
   * One item's result.
   *
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
