package baton.node.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.op.CpuOp;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.OpRef;
import baton.protocol.spec.SpecException;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

/** The built-in cpu ops, made as a worker makes them (from an {@link OpRef}) and checked against the JDK. */
final class CpuOpsTest {

  private static final byte[] TEXT = "The quick brown fox\njumps over the lazy dog.\n".getBytes(StandardCharsets.UTF_8);

  private final OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), ConfigFactory.load());

  // --- sha256 ---

  @Test
  void sha256_knownVector_isLowercaseHex() throws Exception {
    // FIPS 180-2, appendix B.1.
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        text(op("sha256", "{\"rounds\":1}").apply("k", bytes("abc"))));
  }

  @Test
  void sha256_oneRound_isDigestOfPayload() throws Exception {
    assertEquals(hex(sha256(TEXT)), text(op("sha256", "{\"rounds\":1}").apply("k", TEXT)));
  }

  @Test
  void sha256_severalRounds_hashPreviousRoundsHexText() throws Exception {
    String expected = hex(sha256(TEXT));
    for (int round = 2; round <= 5; round++) {
      expected = hex(sha256(bytes(expected)));
    }

    assertEquals(expected, text(op("sha256", "{\"rounds\":5}").apply("k", TEXT)));
  }

  @Test
  void sha256_noRoundsGiven_usesDefaultFromBatonOps() throws Exception {
    int rounds = ConfigFactory.load().getInt("baton.ops.sha256.rounds");
    String expected = new String(TEXT, StandardCharsets.UTF_8);
    byte[] payload = TEXT;
    for (int round = 0; round < rounds; round++) {
      expected = hex(sha256(payload));
      payload = bytes(expected);
    }

    assertEquals(expected, text(op("sha256", "{}").apply("k", TEXT)));
  }

  @Test
  void sha256_resultOfOneCall_isNotChangedByTheNext() throws Exception {
    CpuOp sha = op("sha256", "{\"rounds\":3}");
    byte[] first = sha.apply("a", bytes("a"));
    String firstText = text(first);

    sha.apply("b", bytes("b"));

    assertEquals(firstText, text(first));
    assertEquals(hex(sha256(bytes(hex(sha256(bytes(hex(sha256(bytes("a"))))))))), firstText);
  }

  @Test
  void sha256_sameOpReused_givesSameDigestEachTime() throws Exception {
    CpuOp sha = op("sha256", "{\"rounds\":2}");
    byte[] first = sha.apply("k", TEXT);
    sha.apply("other", bytes("something else"));

    assertArrayEquals(first, sha.apply("k", TEXT), "the op's digest must not carry state between items");
  }

  @Test
  void sha256_zeroRounds_isRejected() {
    SpecException e = assertThrows(SpecException.class, () -> op("sha256", "{\"rounds\":0}"));

    assertTrue(e.getMessage().contains("rounds must be between 1 and"), e.getMessage());
  }

  // --- gzip / gunzip ---

  @Test
  void gzip_payload_decompressesWithJdkToPayload() throws Exception {
    byte[] compressed = op("gzip", "{}").apply("k", TEXT);

    assertEquals(0x1f, compressed[0] & 0xff);
    assertEquals(0x8b, compressed[1] & 0xff);
    assertArrayEquals(TEXT, jdkGunzip(compressed));
  }

  @Test
  void gzip_emptyPayload_isValidEmptyGzip() throws Exception {
    assertArrayEquals(new byte[0], jdkGunzip(op("gzip", "{}").apply("k", new byte[0])));
  }

  @Test
  void gunzip_jdkGzip_givesOriginalBack() throws Exception {
    byte[] random = new byte[100_000];
    new Random(42).nextBytes(random);

    assertArrayEquals(random, op("gunzip", "{}").apply("k", jdkGzip(random)));
  }

  @Test
  void gunzip_ofGzip_roundTrips() throws Exception {
    assertArrayEquals(TEXT, op("gunzip", "{}").apply("k", op("gzip", "{}").apply("k", TEXT)));
  }

  @Test
  void gunzip_notGzip_failsSayingSo() {
    ZipException e = assertThrows(ZipException.class, () -> op("gunzip", "{}").apply("k", TEXT));

    assertEquals("Not in GZIP format", e.getMessage());
  }

  @Test
  void gunzip_truncatedGzip_fails() throws Exception {
    byte[] gzip = jdkGzip(TEXT);
    byte[] truncated = Arrays.copyOf(gzip, gzip.length / 2);

    assertThrows(EOFException.class, () -> op("gunzip", "{}").apply("k", truncated));
  }

  // --- word-count ---

  @Test
  void wordCount_asciiText_matchesSplitOnWhitespace() throws Exception {
    String text = "  one two\tthree\n\nfour   five\r\nsix ";
    long expected = Arrays.stream(text.strip().split("\\s+")).count();

    assertEquals(Long.toString(expected), text(op("word-count", "{}").apply("k", bytes(text))));
  }

  @Test
  void wordCount_emptyAndBlank_areZero() throws Exception {
    CpuOp count = op("word-count", "{}");

    assertEquals("0", text(count.apply("k", new byte[0])));
    assertEquals("0", text(count.apply("k", bytes(" \t\n "))));
  }

  @Test
  void wordCount_unicodeSpacesAndLetters_countAsExpected() throws Exception {
    // No-break space and ideographic space separate words; letters outside the BMP are part of one.
    String text = "caf\u00e9\u00a0na\u00efve\u3000\uD835\uDC00\uD835\uDC01 \u65e5\u672c";

    assertEquals("4", text(op("word-count", "{}").apply("k", bytes(text))));
  }

  @Test
  void wordCount_multiLineText_sumsWordsOfEachLine() throws Exception {
    long expected = new String(TEXT, StandardCharsets.UTF_8).lines()
        .mapToLong(line -> line.isBlank() ? 0 : line.strip().split(" +").length).sum();

    assertEquals(Long.toString(expected), text(op("word-count", "{}").apply("k", TEXT)));
  }

  // --- grep ---

  @Test
  void grep_match_keepsPayloadUnchanged() throws Exception {
    assertSame(TEXT, op("grep", "{\"pattern\":\"(?i)LAZY\\\\s+dog\"}").apply("k", TEXT));
  }

  @Test
  void grep_noMatch_dropsItem() throws Exception {
    assertNull(op("grep", "{\"pattern\":\"cat\"}").apply("k", TEXT));
  }

  @Test
  void grep_partialMatch_isEnough() throws Exception {
    assertSame(TEXT, op("grep", "{\"pattern\":\"row\"}").apply("k", TEXT));
  }

  @Test
  void grep_caret_anchorsAtPayloadStartUnlessMultiline() throws Exception {
    assertNull(op("grep", "{\"pattern\":\"^jumps\"}").apply("k", TEXT));
    assertSame(TEXT, op("grep", "{\"pattern\":\"(?m)^jumps\"}").apply("k", TEXT));
  }

  @Test
  void grep_invalidRegex_isSpecExceptionWithIndex() {
    SpecException e = assertThrows(SpecException.class, () -> op("grep", "{\"pattern\":\"a(b\"}"));

    assertTrue(e.getMessage().contains("pattern is not a valid regular expression"), e.getMessage());
    assertTrue(e.getMessage().contains("near index"), e.getMessage());
  }

  @Test
  void grep_blankPattern_isRejected() {
    SpecException e = assertThrows(SpecException.class, () -> op("grep", "{\"pattern\":\" \"}"));

    assertTrue(e.getMessage().contains("pattern must not be empty"), e.getMessage());
  }

  // --- helpers ---

  private CpuOp op(String name, String params) {
    return registry.createCpu(new OpRef(name, params));
  }

  private static byte[] sha256(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }

  /** Lowercase hex, written out by hand so the test does not share the op's encoder. */
  private static String hex(byte[] data) {
    StringBuilder out = new StringBuilder(data.length * 2);
    for (byte b : data) {
      out.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return out.toString();
  }

  private static byte[] jdkGzip(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }

  private static byte[] jdkGunzip(byte[] data) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
      return in.readAllBytes();
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] data) {
    return new String(data, StandardCharsets.UTF_8);
  }
}
