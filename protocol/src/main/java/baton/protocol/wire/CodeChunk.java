package baton.protocol.wire;

/**
 * A part of a code bundle, the answer to a {@link CodeRequest}: the bytes from {@code offset} on, of {@code total}
 * in all; the last part ends at {@code total}. {@code error} (and no bytes) when the coordinator has no such bundle
 * or cannot read it.
 */
public record CodeChunk(String hash, long offset, long total, byte[] bytes, String error)
    implements CborSerializable {
}
