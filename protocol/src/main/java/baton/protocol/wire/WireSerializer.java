package baton.protocol.wire;

import baton.protocol.spec.OpRef;
import baton.protocol.wire.WorkResult.ItemResult;
import java.io.NotSerializableException;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * The serializer of the messages every batch sends: {@link WorkBatch}, {@link WorkResult}, {@link Pull} and
 * {@link BatchStarted}, bound to it by class in {@code reference.conf} (the rest of {@link CborSerializable} stays on
 * Jackson CBOR). A batch of thousands of tiny items cost Jackson more CPU than running them: this layout is a flat
 * run of fields, each item its key and payload with their lengths, written straight into Artery's buffer and read
 * without any intermediate object per item.
 *
 * <p>Every message starts with the wire version ({@link Wire#VERSION}); one of another version is refused, with
 * both versions in the reason, rather than read wrong. Lengths and counts are unsigned varints; a string or byte
 * array that may be absent has its length plus one, 0 for null.
 */
public final class WireSerializer extends SerializerWithStringManifest implements ByteBufferSerializer {

  /** This serializer's id among Pekko's (which keeps 0 to 40 for its own). */
  public static final int IDENTIFIER = 7_411_001;

  private static final String BATCH = "B";
  private static final String RESULT = "R";
  private static final String PULL = "P";
  private static final String STARTED = "S";
  private static final int VERSION = Integer.parseInt(Wire.VERSION);
  private static final WorkResult.Status[] STATUSES = WorkResult.Status.values();

  private final ActorRefResolver refs;

  public WireSerializer(ExtendedActorSystem system) {
    this.refs = ActorRefResolver.get(Adapter.toTyped(system));
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object message) {
    if (message instanceof WorkBatch) {
      return BATCH;
    }
    if (message instanceof WorkResult) {
      return RESULT;
    }
    if (message instanceof Pull) {
      return PULL;
    }
    if (message instanceof BatchStarted) {
      return STARTED;
    }
    throw new IllegalArgumentException("WireSerializer does not serialize " + message.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object message) {
    int size = 64;
    while (true) {
      ByteBuffer buffer = ByteBuffer.allocate(size);
      try {
        toBinary(message, buffer);
        return Arrays.copyOf(buffer.array(), buffer.position());
      } catch (BufferOverflowException e) {
        if (size > Integer.MAX_VALUE / 4) {
          throw e;
        }
        size = Math.max(size * 4, estimate(message));
      }
    }
  }

  @Override
  public void toBinary(Object message, ByteBuffer buffer) {
    varint(buffer, VERSION);
    if (message instanceof WorkBatch batch) {
      writeBatch(batch, buffer);
    } else if (message instanceof WorkResult result) {
      writeResult(result, buffer);
    } else if (message instanceof Pull pull) {
      string(buffer, refs.toSerializationFormat(pull.agent()));
      varint(buffer, pull.credits());
      varint(buffer, pull.workers());
      buffer.put((byte) (pull.fullLoad() ? 1 : 0));
      buffer.putLong(pull.completedBatch());
    } else if (message instanceof BatchStarted started) {
      buffer.putLong(started.batch());
    } else {
      throw new IllegalArgumentException("WireSerializer does not serialize " + message.getClass().getName());
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    return fromBinary(ByteBuffer.wrap(bytes), manifest);
  }

  @Override
  public Object fromBinary(ByteBuffer buffer, String manifest) throws NotSerializableException {
    Reader in = new Reader(buffer);
    try {
      int version = in.varint();
      if (version != VERSION) {
        throw new NotSerializableException("a message of Baton wire version " + version + ", this process speaks "
            + VERSION + ": run the same Baton version on the coordinator and every node");
      }
      return switch (manifest) {
        case BATCH -> readBatch(in);
        case RESULT -> readResult(in);
        case PULL -> new Pull(refs.resolveActorRef(in.string()), in.varint(), in.varint(), in.buffer.get() != 0,
            in.buffer.getLong());
        case STARTED -> new BatchStarted(in.buffer.getLong());
        default -> throw new NotSerializableException("unknown manifest " + manifest + " for WireSerializer");
      };
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new NotSerializableException("a truncated or malformed " + manifest + " message: " + e);
    }
  }

  private void writeBatch(WorkBatch batch, ByteBuffer buffer) {
    buffer.putLong(batch.batch());
    string(buffer, batch.jobId());
    varint(buffer, batch.stage());
    string(buffer, batch.op().name());
    string(buffer, batch.op().params());
    string(buffer, refs.toSerializationFormat(batch.replyTo()));
    string(buffer, refs.toSerializationFormat(batch.started()));
    buffer.putLong(batch.itemTimeout().getSeconds());
    buffer.putInt(batch.itemTimeout().getNano());
    List<Item> items = batch.items() == null ? List.of() : batch.items();
    varint(buffer, items.size());
    for (Item item : items) {
      string(buffer, item.key());
      bytes(buffer, item.payload());
    }
  }

  private WorkBatch readBatch(Reader in) {
    long batch = in.buffer.getLong();
    String jobId = in.string();
    int stage = in.varint();
    OpRef op = new OpRef(in.string(), in.string());
    ActorRef<WorkResult> replyTo = refs.resolveActorRef(in.string());
    ActorRef<BatchStarted> started = refs.resolveActorRef(in.string());
    Duration itemTimeout = Duration.ofSeconds(in.buffer.getLong(), in.buffer.getInt());
    int count = in.count();
    Item[] items = new Item[count];
    for (int i = 0; i < count; i++) {
      items[i] = new Item(in.string(), in.bytes());
    }
    return new WorkBatch(batch, jobId, stage, op, Arrays.asList(items), replyTo, started, itemTimeout);
  }

  private void writeResult(WorkResult result, ByteBuffer buffer) {
    buffer.putLong(result.batch());
    string(buffer, result.node());
    buffer.putLong(result.runNanos());
    List<ItemResult> results = result.results();
    varint(buffer, results.size());
    for (ItemResult item : results) {
      buffer.put((byte) (item.status() == null ? STATUSES.length : item.status().ordinal()));
      string(buffer, item.key());
      bytes(buffer, item.payload());
      string(buffer, item.error());
    }
  }

  private static WorkResult readResult(Reader in) {
    long batch = in.buffer.getLong();
    String node = in.string();
    long runNanos = in.buffer.getLong();
    int count = in.count();
    ItemResult[] results = new ItemResult[count];
    for (int i = 0; i < count; i++) {
      int status = in.buffer.get();
      results[i] = new ItemResult(in.string(), status >= 0 && status < STATUSES.length ? STATUSES[status] : null,
          in.bytes(), in.string());
    }
    return new WorkResult(batch, Arrays.asList(results), node, runNanos);
  }

  /** About the most bytes {@code message} takes: its strings at three bytes a char. */
  private int estimate(Object message) {
    long size = 256;
    if (message instanceof WorkBatch batch) {
      size += 3L * (batch.jobId().length() + batch.op().name().length() + batch.op().params().length());
      for (Item item : batch.items() == null ? List.<Item>of() : batch.items()) {
        size += 10 + 3L * length(item.key()) + (item.payload() == null ? 0 : item.payload().length);
      }
    } else if (message instanceof WorkResult result) {
      size += 3L * length(result.node());
      for (ItemResult item : result.results()) {
        size += 16 + 3L * (length(item.key()) + length(item.error()))
            + (item.payload() == null ? 0 : item.payload().length);
      }
    }
    return (int) Math.min(Integer.MAX_VALUE - 16, size);
  }

  private static int length(String text) {
    return text == null ? 0 : text.length();
  }

  private static void varint(ByteBuffer buffer, int value) {
    while ((value & ~0x7f) != 0) {
      buffer.put((byte) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    buffer.put((byte) value);
  }

  private static void string(ByteBuffer buffer, String text) {
    bytes(buffer, text == null ? null : text.getBytes(StandardCharsets.UTF_8));
  }

  private static void bytes(ByteBuffer buffer, byte[] bytes) {
    if (bytes == null) {
      varint(buffer, 0);
    } else {
      varint(buffer, bytes.length + 1);
      buffer.put(bytes);
    }
  }

  /** Reads one message; strings of a buffer without an array go through one scratch array of the message's. */
  private static final class Reader {
    final ByteBuffer buffer;
    private byte[] scratch = new byte[64];

    Reader(ByteBuffer buffer) {
      this.buffer = buffer;
    }

    int varint() {
      int value = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        byte b = buffer.get();
        value |= (b & 0x7f) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw new IllegalArgumentException("a varint longer than 5 bytes");
    }

    /** A count of things that follow, each at least one byte: more than the bytes left is malformed. */
    int count() {
      int count = varint();
      if (count < 0 || count > buffer.remaining()) {
        throw new IllegalArgumentException("a count of " + count + " with " + buffer.remaining() + " bytes left");
      }
      return count;
    }

    /** The length of a string or byte array that follows, or -1 for null. */
    private int length() {
      int length = varint() - 1;
      if (length < -1 || length > buffer.remaining()) {
        throw new IllegalArgumentException("a length of " + length + " with " + buffer.remaining() + " bytes left");
      }
      return length;
    }

    String string() {
      int length = length();
      if (length < 0) {
        return null;
      }
      String text;
      if (buffer.hasArray()) {
        text = new String(buffer.array(), buffer.arrayOffset() + buffer.position(), length, StandardCharsets.UTF_8);
        buffer.position(buffer.position() + length);
      } else {
        if (scratch.length < length) {
          scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        buffer.get(scratch, 0, length);
        text = new String(scratch, 0, length, StandardCharsets.UTF_8);
      }
      return text;
    }

    byte[] bytes() {
      int length = length();
      if (length < 0) {
        return null;
      }
      byte[] bytes = new byte[length];
      buffer.get(bytes);
      return bytes;
    }
  }
}
