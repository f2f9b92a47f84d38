package baton.protocol.op;

import baton.protocol.spec.SpecException;
import java.util.Set;

/**
 * Makes one kind of op from a stage's parameters. Built-in and user ops are found with {@link java.util.ServiceLoader}:
 * list the class in {@code META-INF/services/baton.protocol.op.OpProvider} and put the jar in {@code lib/} or on
 * {@code --classpath}. Defaults for the op's parameters may live in a {@code reference.conf} under
 * {@code baton.ops.<name>}.
 */
public interface OpProvider {

  /** The name a spec uses in {@code op = ...}. */
  String name();

  /** Where the op runs. */
  OpKind kind();

  /** The parameters the op reads; a spec naming any other is rejected, so typos do not pass silently. */
  Set<String> parameters();

  /**
   * Reads and checks the parameters and makes the op: a {@link CpuOp} for {@link OpKind#CPU}, an {@link IoOp}
   * for {@link OpKind#IO}. Called once per stage when a job is submitted, and again on each worker that runs it.
   *
   * @throws SpecException when a parameter is missing, of the wrong type or out of range
   */
  Op create(OpParams params);
}
