package baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The snapshot store of {@code baton run}'s in-memory journal keeps snapshots, and recovery starts from them. */
@ExtendWith(LogCapturingExtension.class)
final class MemorySnapshotStoreTest {

  private final ActorTestKit testKit = ActorTestKit.create(systemConfig());

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void counter_snapshotsThenEventsDeleted_recoversItsStateFromTheLastSnapshot() {
    TestProbe<String> snapshots = testKit.createTestProbe();
    TestProbe<Integer> answers = testKit.createTestProbe();
    ActorRef<Counter.Command> first = testKit.spawn(Counter.create("counter-1", snapshots.getRef()));
    for (int i = 1; i <= 7; i++) {
      first.tell(new Counter.Add(i, answers.getRef()));
      assertEquals(i * (i + 1) / 2, answers.receiveMessage());
    }
    assertEquals("saved 3", snapshots.receiveMessage());
    assertEquals("saved 6", snapshots.receiveMessage());
    testKit.stop(first);

    ActorRef<Counter.Command> again = testKit.spawn(Counter.create("counter-1", snapshots.getRef()));
    again.tell(new Counter.Add(0, answers.getRef()));

    // Events up to the snapshot at 6 are deleted: only the snapshot (21) and the event after it (7) give 28.
    assertEquals(28, answers.receiveMessage());
  }

  private static Config systemConfig() {
    return ConfigFactory.parseString("pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
        + "pekko.persistence.snapshot-store.plugin = \"baton.run.snapshot-store\"").withFallback(ConfigFactory.load());
  }

  /** Adds numbers; snapshots every 3 events and deletes the events before a snapshot. */
  static final class Counter extends EventSourcedBehavior<Counter.Command, Counter.Added, Integer> {

    interface Command {
    }

    record Add(int amount, ActorRef<Integer> replyTo) implements Command {
    }

    record Added(int amount) {
    }

    private final ActorRef<String> snapshots;

    static Behavior<Command> create(String id, ActorRef<String> snapshots) {
      return new Counter(id, snapshots);
    }

    private Counter(String id, ActorRef<String> snapshots) {
      super(PersistenceId.ofUniqueId(id));
      this.snapshots = snapshots;
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(3, 1).withDeleteEventsOnSnapshot();
    }

    @Override
    public CommandHandler<Command, Added, Integer> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Add.class, (sum, add) -> add.amount() == 0
              ? Effect().reply(add.replyTo(), sum)
              : Effect().persist(new Added(add.amount())).thenReply(add.replyTo(), after -> after))
          .build();
    }

    @Override
    public EventHandler<Integer, Added> eventHandler() {
      return newEventHandlerBuilder().forAnyState()
          .onEvent(Added.class, (sum, added) -> sum + added.amount())
          .build();
    }

    @Override
    public SignalHandler<Integer> signalHandler() {
      return newSignalHandlerBuilder()
          .onSignal(SnapshotCompleted.class, (sum, done) -> snapshots.tell("saved " + done.metadata().sequenceNr()))
          .onSignal(SnapshotFailed.class, (sum, failed) -> snapshots.tell("failed " + failed.getFailure()))
          .build();
    }
  }
}
