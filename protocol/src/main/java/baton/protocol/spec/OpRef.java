package baton.protocol.spec;

import baton.protocol.wire.CborSerializable;
import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Names one stage's op and its parameters (rendered as JSON), so that a worker anywhere in the cluster can make the
 * same op the coordinator checked.
 *
 * @param code the SHA-256 (lowercase hex) of the code bundle the job brought ({@code submit --classpath}), whose ops
 *     come before Baton's own; null for a job without code
 */
public record OpRef(String name, String params, String code) implements CborSerializable {

  @JsonCreator
  public OpRef {
  }

  /** An op of Baton's own or installed on every node. */
  public OpRef(String name, String params) {
    this(name, params, null);
  }

  /** The same op without its bundle: how the bundle's own registry names it. */
  public OpRef withoutCode() {
    return code == null ? this : new OpRef(name, params, null);
  }
}
