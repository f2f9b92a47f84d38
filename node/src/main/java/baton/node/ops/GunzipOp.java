package baton.node.ops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/** {@code gunzip}: the payload becomes its gzip decompression; a payload that is not gzip fails its item. */
public final class GunzipOp implements OpProvider {

  @Override
  public String name() {
    return "gunzip";
  }

  @Override
  public OpKind kind() {
    return OpKind.CPU;
  }

  @Override
  public Set<String> parameters() {
    return Set.of();
  }

  @Override
  public Op create(OpParams params) {
    return (CpuOp) (key, payload) -> gunzip(payload);
  }

  static byte[] gunzip(byte[] payload) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(payload))) {
      return in.readAllBytes();
    }
  }
}
