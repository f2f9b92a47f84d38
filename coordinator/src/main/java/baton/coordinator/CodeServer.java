package baton.coordinator;

import baton.protocol.wire.CodeRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Hands out the code bundles of the {@link CodeStore} to nodes, a chunk per {@link CodeRequest}; nodes find it
 * through the Receptionist ({@link CodeRequest#SERVER}). It holds no state: each read runs on the blocking
 * dispatcher and its chunk goes straight to the asker.
 */
public final class CodeServer {

  private CodeServer() {
  }

  public static Behavior<CodeRequest> create(CodeStore store) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(CodeRequest.SERVER, context.getSelf()));
      Executor blocking = context.getSystem().dispatchers()
          .lookup(DispatcherSelector.fromConfig("baton.blocking-io-dispatcher"));
      return Behaviors.receiveMessage(request -> {
        CompletableFuture.supplyAsync(() -> store.read(request.hash(), request.offset()), blocking)
            .thenAccept(chunk -> request.replyTo().tell(chunk));
        return Behaviors.same();
      });
    });
  }
}
