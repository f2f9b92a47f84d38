package baton.coordinator;

import baton.coordinator.api.JobStatus;
import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.eventstream.EventStream;

/**
 * What the actors tell the dashboard's event stream ({@code GET /api/events}), through the actor system's event
 * stream: a job's status when its state or counts change, and that the nodes pulling work changed. Publishing costs
 * a message; with nobody subscribed it is dropped.
 */
public final class Events {

  /** A job's status, sent when its state changes and, while it runs, at most once per {@code job-interval}. */
  public record JobChanged(JobStatus status) {
  }

  /** The nodes pulling work changed (one came, or went). */
  public enum NodesChanged { INSTANCE }

  /**
   * The event stream's settings, from {@code baton.http.events}: how often a running job reports, how many events
   * a slow client may fall behind before its stream is ended, and how often a quiet stream sends a keep-alive.
   */
  public record Settings(Duration jobInterval, int buffer, Duration keepAlive) {

    public static Settings from(Config config) {
      Config events = config.getConfig("baton.http.events");
      return new Settings(events.getDuration("job-interval"), events.getInt("buffer"),
          events.getDuration("keep-alive"));
    }
  }

  private Events() {
  }

  static void publish(ActorSystem<?> system, JobStatus status) {
    system.eventStream().tell(new EventStream.Publish<>(new JobChanged(status)));
  }

  static void nodesChanged(ActorSystem<?> system) {
    system.eventStream().tell(new EventStream.Publish<>(NodesChanged.INSTANCE));
  }
}
