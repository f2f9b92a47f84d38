package baton.app.tls;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Baton's log of refused cluster connections: each reason once when it first happens, then how often it happened
 * again, once per {@code baton.tls.refusal-log-interval}. A member that keeps trying to join (every two seconds, on
 * three connections) would otherwise fill the log. The TLS engines publish {@link Refused} on the event stream.
 */
public final class TlsRefusals {

  /** Something for the actor to keep track of. */
  public interface Command {
  }

  /** One refused or failed TLS handshake, said in a line of the log. */
  public record Refused(String line) implements Command {
  }

  private enum Tick implements Command { INSTANCE }

  private TlsRefusals() {
  }

  /** Starts the log in a TLS member's actor system. */
  public static void start(ActorSystem<?> system) {
    Duration interval = system.settings().config().getDuration("baton.tls.refusal-log-interval");
    system.systemActorOf(create(interval), "baton-tls-refusals", Props.empty());
  }

  static Behavior<Command> create(Duration interval) {
    return Behaviors.setup(context -> {
      context.getSystem().eventStream().tell(new EventStream.Subscribe<>(Refused.class, context.getSelf().narrow()));
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
        return logging(context, interval, new LinkedHashMap<>());
      });
    });
  }

  /** {@code repeats}: each line logged so far, and how often it happened since it was last logged. */
  private static Behavior<Command> logging(ActorContext<Command> context, Duration interval,
      Map<String, Integer> repeats) {
    return Behaviors.receive(Command.class)
        .onMessage(Refused.class, refused -> {
          Integer seen = repeats.get(refused.line());
          if (seen == null) {
            context.getLog().warn("TLS: {}", refused.line());
          }
          Map<String, Integer> next = new LinkedHashMap<>(repeats);
          next.put(refused.line(), seen == null ? 0 : seen + 1);
          return logging(context, interval, next);
        })
        .onMessageEquals(Tick.INSTANCE, () -> {
          Map<String, Integer> next = new LinkedHashMap<>();
          repeats.forEach((line, count) -> {
            if (count > 0) {
              context.getLog().warn("TLS: {} more times in the last {} s: {}", count, interval.toSeconds(), line);
            }
            next.put(line, 0);
          });
          return logging(context, interval, next);
        })
        .build();
  }
}
