package baton.node.ops;

import baton.protocol.op.CpuOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

/** {@code gzip}: the payload becomes its gzip compression. */
public final class GzipOp implements OpProvider {

  @Override
  public String name() {
    return "gzip";
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
    return (CpuOp) (key, payload) -> gzip(payload);
  }

  static byte[] gzip(byte[] payload) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length / 2 + 64);
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(payload);
    }
    return bytes.toByteArray();
  }
}
