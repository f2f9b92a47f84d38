package baton.protocol.op;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where an op runs: io ops as asynchronous stream stages, cpu ops on the worker pools of the nodes. */
public enum OpKind {
  IO, CPU;

  @JsonValue
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
