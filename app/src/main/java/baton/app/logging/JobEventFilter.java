package baton.app.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Lets through only events logged for a job (with {@code jobId} in the MDC), so job logs hold nothing else. Nodes
 * turn it off ({@code enabled = false}): their job lines go to their own node log, and job logs stay the
 * coordinator's.
 */
public final class JobEventFilter extends Filter<ILoggingEvent> {

  private boolean enabled = true;

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    return enabled && event.getMDCPropertyMap().containsKey("jobId") ? FilterReply.NEUTRAL : FilterReply.DENY;
  }
}
