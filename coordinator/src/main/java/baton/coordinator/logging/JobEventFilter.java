package baton.coordinator.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/** Lets through only events logged for a job (with {@code jobId} in the MDC), so job logs hold nothing else. */
public final class JobEventFilter extends Filter<ILoggingEvent> {

  @Override
  public FilterReply decide(ILoggingEvent event) {
    return event.getMDCPropertyMap().containsKey("jobId") ? FilterReply.NEUTRAL : FilterReply.DENY;
  }
}
