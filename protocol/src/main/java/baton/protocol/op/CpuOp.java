package baton.protocol.op;

/**
 * A computing op. It runs on a worker actor's thread of the CPU dispatcher, one item at a time, so it may use as
 * much CPU as it likes but must not wait on I/O. An instance is used by one worker only and may keep scratch state.
 */
@FunctionalInterface
public non-sealed interface CpuOp extends Op {

  /**
   * Transforms one item.
   *
   * @return the new payload, or {@code null} to drop the item (as {@code grep} does)
   * @throws Exception to fail this item alone; Baton retries it and logs the message as the reason
   */
  byte[] apply(String key, byte[] payload) throws Exception;
}
