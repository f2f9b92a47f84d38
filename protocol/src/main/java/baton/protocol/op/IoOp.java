package baton.protocol.op;

import java.util.concurrent.CompletionStage;

/**
 * A waiting op. It runs inside an asynchronous stream stage with many items in flight, so it must not block the
 * calling thread: it returns at once with a stage that completes later. Blocking calls go through
 * {@link IoContext#blocking(java.util.function.Supplier)}.
 */
@FunctionalInterface
public non-sealed interface IoOp extends Op {

  /**
   * Starts the op for one item.
   *
   * @return a stage completing with the new payload, or with {@code null} to drop the item; completing
   *     exceptionally fails this item alone
   */
  CompletionStage<byte[]> apply(String key, byte[] payload, IoContext context);
}
