package baton.protocol.wire;

import baton.protocol.spec.OpRef;
import baton.protocol.wire.WorkResult.ItemResult;
import java.io.NotSerializableException;
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
 * run of fields, each item its key and payload with their lengths, copied into Artery's buffer in one piece and read
 * back without any intermediate object per item. A result's items travel without their keys: the coordinator holds
 * each batch's keys and takes the results in the batch's order, so they arrive with a null key (reading a key
 * back was half of the coordinator's deserialization).
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
  // The largest array a message is laid out in on its way into Artery's buffer (at least 256 bytes, see estimate).
  private static final int CHUNK_BYTES = 16 * 1024;
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
    Writer out = new Writer(estimate(message), null);
    write(message, out);
    return Arrays.copyOf(out.bytes, out.size);
  }

  /**
   * Writes into Artery's buffer through a small array, where a byte costs a store, not a direct buffer's bounds
   * checks and byte order; the array goes into the buffer whenever it fills. So a batch of thousands of items needs
   * no array of its own size: writing one allocated about 2.7 times its size, a node's largest garbage. A small
   * message (a start, a pull, a result of few items) gets an array of about its own size, not a whole chunk.
   */
  @Override
  public void toBinary(Object message, ByteBuffer buffer) {
    Writer out = new Writer(Math.min(CHUNK_BYTES, estimate(message)), buffer);
    write(message, out);
    out.flush();
  }

  private void write(Object message, Writer out) {
    out.varint(VERSION);
    if (message instanceof WorkBatch batch) {
      writeBatch(batch, out);
    } else if (message instanceof WorkResult result) {
      writeResult(result, out);
    } else if (message instanceof Pull pull) {
      out.string(refs.toSerializationFormat(pull.agent()));
      out.varint(pull.credits());
      out.varint(pull.workers());
      out.varint(pull.fullLoad() ? 1 : 0);
      out.longValue(pull.completedBatch());
    } else if (message instanceof BatchStarted started) {
      out.longValue(started.batch());
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
    if (!buffer.hasArray()) {
      // One bulk copy out of Artery's direct buffer, so that each key is read from an array.
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      buffer = ByteBuffer.wrap(bytes);
    }
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
        case PULL -> new Pull(ref(in), in.varint(), in.varint(), in.varint() != 0,
            in.longValue());
        case STARTED -> new BatchStarted(in.longValue());
        default -> throw new NotSerializableException("unknown manifest " + manifest + " for WireSerializer");
      };
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new NotSerializableException("a truncated or malformed " + manifest + " message: " + e);
    }
  }

  /** The actor at the path that follows; none at all is malformed (Pekko's resolver would crash the JVM on it). */
  private <T> ActorRef<T> ref(Reader in) {
    String path = in.string();
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("an actor reference without a path");
    }
    return refs.resolveActorRef(path);
  }

  private void writeBatch(WorkBatch batch, Writer out) {
    out.longValue(batch.batch());
    out.string(batch.jobId());
    out.varint(batch.stage());
    out.string(batch.op().name());
    out.string(batch.op().params());
    out.string(batch.op().code());
    out.string(refs.toSerializationFormat(batch.replyTo()));
    out.string(refs.toSerializationFormat(batch.started()));
    out.longValue(batch.itemTimeout().getSeconds());
    out.varint(batch.itemTimeout().getNano());
    List<Item> items = batch.items() == null ? List.of() : batch.items();
    out.varint(items.size());
    for (Item item : items) {
      out.string(item.key());
      out.bytes(item.payload());
    }
  }

  private WorkBatch readBatch(Reader in) {
    long batch = in.longValue();
    String jobId = in.string();
    int stage = in.varint();
    OpRef op = new OpRef(in.string(), in.string(), in.string());
    ActorRef<WorkResult> replyTo = ref(in);
    ActorRef<BatchStarted> started = ref(in);
    Duration itemTimeout = Duration.ofSeconds(in.longValue(), in.varint());
    int count = in.count();
    Item[] items = new Item[count];
    for (int i = 0; i < count; i++) {
      items[i] = new Item(in.string(), in.bytes());
    }
    return new WorkBatch(batch, jobId, stage, op, Arrays.asList(items), replyTo, started, itemTimeout);
  }

  private static void writeResult(WorkResult result, Writer out) {
    out.longValue(result.batch());
    out.string(result.node());
    out.longValue(result.runNanos());
    List<ItemResult> results = result.results();
    out.varint(results.size());
    for (ItemResult item : results) {
      out.varint(item.status() == null ? STATUSES.length : item.status().ordinal());
      out.bytes(item.payload());
      out.string(item.error());
    }
  }

  private static WorkResult readResult(Reader in) {
    long batch = in.longValue();
    String node = in.string();
    long runNanos = in.longValue();
    int count = in.count();
    ItemResult[] results = new ItemResult[count];
    for (int i = 0; i < count; i++) {
      int status = in.varint();
      results[i] = new ItemResult(null, status >= 0 && status < STATUSES.length ? STATUSES[status] : null,
          in.bytes(), in.string());
    }
    return new WorkResult(batch, Arrays.asList(results), node, runNanos);
  }

  /**
   * A first size for the array {@code message} is laid out in: its count of items times the size of its first one,
   * and a quarter more. Reading every item's length beforehand cost as much as writing it, and an array that grows
   * twice per message made a node collect its garbage twice as often.
   */
  private static int estimate(Object message) {
    long items = 0;
    long first = 0;
    if (message instanceof WorkBatch batch && batch.items() != null && !batch.items().isEmpty()) {
      Item item = batch.items().get(0);
      items = batch.items().size();
      first = 2 + length(item.key()) + (item.payload() == null ? 0 : item.payload().length);
    } else if (message instanceof WorkResult result && !result.results().isEmpty()) {
      ItemResult item = result.results().get(0);
      items = result.results().size();
      first = 4 + length(item.error()) + (item.payload() == null ? 0 : item.payload().length);
    }
    return (int) Math.min(1 << 24, 256 + items * (first + first / 4 + 2));
  }

  private static int length(String text) {
    return text == null ? 0 : text.length();
  }

  /**
   * A message laid out in an array: a growing one, or, with a {@code sink}, one that goes into the sink whenever it
   * fills (and at {@link #flush}).
   */
  private static final class Writer {
    byte[] bytes;
    int size;
    final ByteBuffer sink;

    Writer(int capacity, ByteBuffer sink) {
      bytes = new byte[capacity];
      this.sink = sink;
    }

    void flush() {
      if (sink != null) {
        sink.put(bytes, 0, size);
        size = 0;
      }
    }

    /** Room for {@code more} bytes (at most the array's length with a sink) after {@code size}. */
    private void room(int more) {
      if (bytes.length - size < more && sink != null) {
        flush();
      } else if (bytes.length - size < more) {
        long wanted = Math.max((long) size + more, 2L * bytes.length);
        if (wanted > Integer.MAX_VALUE - 16) {
          throw new IllegalArgumentException("a message of more than 2 GiB");
        }
        bytes = Arrays.copyOf(bytes, (int) wanted);
      }
    }

    void varint(int value) {
      room(5);
      while ((value & ~0x7f) != 0) {
        bytes[size++] = (byte) ((value & 0x7f) | 0x80);
        value >>>= 7;
      }
      bytes[size++] = (byte) value;
    }

    void longValue(long value) {
      room(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        bytes[size++] = (byte) (value >>> shift);
      }
    }

    /** A string's UTF-8 bytes; one of ASCII only (most keys) is copied char by char, without an array of its own. */
    void string(String text) {
      if (text == null) {
        varint(0);
        return;
      }
      int length = text.length();
      if (sink != null && length + 5 > bytes.length) {
        bytes(text.getBytes(StandardCharsets.UTF_8));
        return;
      }
      // Room for the whole string first, so that nothing is flushed between the mark and its end.
      room(length + 5);
      int mark = size;
      varint(length + 1);
      for (int i = 0; i < length; i++) {
        char c = text.charAt(i);
        if (c >= 0x80) {
          size = mark;
          bytes(text.getBytes(StandardCharsets.UTF_8));
          return;
        }
        bytes[size++] = (byte) c;
      }
    }

    void bytes(byte[] value) {
      if (value == null) {
        varint(0);
        return;
      }
      varint(value.length + 1);
      if (sink != null && value.length > bytes.length - size) {
        flush();
        sink.put(value);
        return;
      }
      room(value.length);
      System.arraycopy(value, 0, bytes, size, value.length);
      size += value.length;
    }
  }

  /** Reads one message from a buffer with an array behind it. */
  private static final class Reader {
    final ByteBuffer buffer;

    Reader(ByteBuffer buffer) {
      this.buffer = buffer;
    }

    long longValue() {
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | (buffer.get() & 0xff);
      }
      return value;
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
      String text = new String(buffer.array(), buffer.arrayOffset() + buffer.position(), length,
          StandardCharsets.UTF_8);
      buffer.position(buffer.position() + length);
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
