package baton.protocol;

import baton.protocol.op.CpuOp;
import baton.protocol.op.IoOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.time.Duration;
import java.util.Set;

/**
 * Stand-ins for the built-in ops, which live in other modules: same names, same parameters, read the same way, so
 * the example specs parse here. ServiceLoader needs them public.
 */
public final class TestOps {

  private TestOps() {
  }

  /** read-file { max-bytes }. */
  public static final class ReadFile implements OpProvider {
    @Override public String name() { return "read-file"; }
    @Override public OpKind kind() { return OpKind.IO; }
    @Override public Set<String> parameters() { return Set.of("max-bytes"); }
    @Override public Op create(OpParams params) {
      long max = params.has("max-bytes") ? params.getBytes("max-bytes", 1, Integer.MAX_VALUE - 16) : 1;
      return (IoOp) (key, payload, context) -> context.blocking(() -> new byte[(int) Math.min(max, 0)]);
    }
  }

  /** write-file { dir }. */
  public static final class WriteFile implements OpProvider {
    @Override public String name() { return "write-file"; }
    @Override public OpKind kind() { return OpKind.IO; }
    @Override public Set<String> parameters() { return Set.of("dir"); }
    @Override public Op create(OpParams params) {
      params.getPath("dir");
      return (IoOp) (key, payload, context) -> context.blocking(() -> payload);
    }
  }

  /** delay { millis }. */
  public static final class Delay implements OpProvider {
    @Override public String name() { return "delay"; }
    @Override public OpKind kind() { return OpKind.IO; }
    @Override public Set<String> parameters() { return Set.of("millis"); }
    @Override public Op create(OpParams params) {
      Duration delay = Duration.ofMillis(params.getLong("millis", 0, 86_400_000));
      return (IoOp) (key, payload, context) -> context.delay(delay).thenApply(done -> payload);
    }
  }

  /** http-get { timeout }. */
  public static final class HttpGet implements OpProvider {
    @Override public String name() { return "http-get"; }
    @Override public OpKind kind() { return OpKind.IO; }
    @Override public Set<String> parameters() { return Set.of("timeout"); }
    @Override public Op create(OpParams params) {
      if (params.has("timeout")) {
        params.getDuration("timeout", Duration.ofMillis(1), Duration.ofHours(1));
      }
      return (IoOp) (key, payload, context) -> context.blocking(() -> payload);
    }
  }

  /** sha256 { rounds }. */
  public static final class Sha256 implements OpProvider {
    @Override public String name() { return "sha256"; }
    @Override public OpKind kind() { return OpKind.CPU; }
    @Override public Set<String> parameters() { return Set.of("rounds"); }
    @Override public Op create(OpParams params) {
      if (params.has("rounds")) {
        params.getInt("rounds", 1, 1_000_000);
      }
      return (CpuOp) (key, payload) -> payload;
    }
  }

  /** grep { pattern }. */
  public static final class Grep implements OpProvider {
    @Override public String name() { return "grep"; }
    @Override public OpKind kind() { return OpKind.CPU; }
    @Override public Set<String> parameters() { return Set.of("pattern"); }
    @Override public Op create(OpParams params) {
      String regex = params.getString("pattern");
      try {
        java.util.regex.Pattern.compile(regex);
      } catch (java.util.regex.PatternSyntaxException e) {
        throw params.error("pattern", "pattern is not a valid regular expression: " + e.getDescription());
      }
      return (CpuOp) (key, payload) -> payload;
    }
  }

  /** word-count. */
  public static final class WordCount implements OpProvider {
    @Override public String name() { return "word-count"; }
    @Override public OpKind kind() { return OpKind.CPU; }
    @Override public Set<String> parameters() { return Set.of(); }
    @Override public Op create(OpParams params) {
      return (CpuOp) (key, payload) -> payload;
    }
  }
}
