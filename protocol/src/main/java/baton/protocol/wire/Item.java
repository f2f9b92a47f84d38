package baton.protocol.wire;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.nio.charset.StandardCharsets;

/**
 * One unit of work: a key (a file path, a line, a number) and the payload that flows through a job's stages.
 */
@JsonFormat(shape = JsonFormat.Shape.ARRAY)
@JsonPropertyOrder({"key", "payload"})
public record Item(String key, byte[] payload) implements CborSerializable {

  /** An item whose payload is the key's own UTF-8 text, as the {@code lines} and {@code range} inputs make. */
  public static Item ofText(String key) {
    return new Item(key, key.getBytes(StandardCharsets.UTF_8));
  }
}
