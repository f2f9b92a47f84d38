package baton.coordinator.spec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.spec.testops.RepeatOp;
import baton.protocol.op.CpuOp;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.SpecException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class JobSpecParserTest {

  private static final String SPEC = "job.conf";
  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.UTF_8);

  private final Config config = ConfigFactory.load();
  private final Config job = config.getConfig("baton.job");
  private final OpRegistry registry = OpRegistry.load(TestParsers.opLoader(), config);
  private final JobSpecParser parser = new JobSpecParser(registry, JobDefaults.from(config));

  @TempDir
  Path dir;

  // --- valid specs ---

  @Test
  void parse_filesGlob_matchesSortedFilesRelativeToSpecFolder() throws IOException {
    Path specDir = Files.createDirectories(dir.resolve("specs"));
    Path data = Files.createDirectories(specDir.resolve("data"));
    Path b = Files.writeString(data.resolve("b.txt"), "b");
    Path a = Files.writeString(data.resolve("a.txt"), "a");
    Files.writeString(data.resolve("c.bin"), "c");
    Files.writeString(dir.resolve("outside.txt"), "x");
    Path spec = Files.writeString(specDir.resolve("checks.conf"),
        "input.files = \"data/*.txt\"\nstages = [ { op = repeat } ]\n");

    JobSpec parsed = parser.parse(Files.readString(spec), "checks.conf", specDir);

    JobSpec.Files input = assertInstanceOf(JobSpec.Files.class, parsed.input());
    assertEquals("data/*.txt", input.glob());
    assertEquals(List.of(a.toAbsolutePath(), b.toAbsolutePath()), input.files());
    assertEquals(2, input.size().orElseThrow());
    assertEquals("checks", parsed.name(), "the name defaults to the spec file's base name");
  }

  @Test
  void parse_linesAndOutput_resolveAgainstSpecFolderNotWorkingDirectory() throws IOException {
    Path specDir = Files.createDirectories(dir.resolve("nested/specs"));
    Path lines = Files.writeString(specDir.resolve("urls.txt"), "one\ntwo\n");
    Path spec = Files.writeString(specDir.resolve("lines.conf"),
        "name = lines-job\ninput.lines = urls.txt\noutput = ../out/result.tsv\nstages = [ { op = echo } ]\n");

    JobSpec parsed = parser.parse(Files.readString(spec), "lines.conf", specDir);

    assertEquals(new JobSpec.Lines(lines.toAbsolutePath()), parsed.input());
    assertTrue(parsed.input().size().isEmpty(), "a lines input does not know its size before reading");
    assertEquals(Optional.of(dir.resolve("nested/out/result.tsv").toAbsolutePath()), parsed.output());
    assertEquals("lines-job", parsed.name());
    assertEquals(Files.readString(spec), parsed.source());
  }

  @Test
  void parse_range_countsBothEnds() {
    JobSpec parsed = parse("input.range { from = -2, to = 7 }\nstages = [ { op = repeat } ]\n");

    assertEquals(new JobSpec.Range(-2, 7), parsed.input());
    assertEquals(10, parsed.input().size().orElseThrow());
  }

  @Test
  void parse_specWithoutOptionalKeys_takesDefaultsFromBatonJob() {
    JobSpec parsed = parse("input.range { from = 1, to = 3 }\nstages = [ { op = repeat }, { op = echo } ]\n");

    assertEquals(job.getInt("retries"), parsed.retries());
    assertEquals(job.getInt("max-failed-items"), parsed.maxFailedItems());
    assertEquals(job.getDuration("item-timeout"), parsed.itemTimeout());
    assertEquals(Optional.empty(), parsed.output());
    JobSpec.Stage cpu = parsed.stages().get(0);
    assertEquals(1, cpu.index());
    assertEquals(OpKind.CPU, cpu.kind());
    assertEquals(job.getInt("cpu-parallelism"), cpu.parallelism());
    assertEquals(job.getInt("cpu-batch"), cpu.batch());
    assertEquals(false, cpu.fixedBatch(), "a cpu stage without batch sizes its batches itself");
    JobSpec.Stage io = parsed.stages().get(1);
    assertEquals(2, io.index());
    assertEquals(OpKind.IO, io.kind());
    assertEquals(job.getInt("io-parallelism"), io.parallelism());
    assertEquals(1, io.batch(), "io stages take items one at a time");
    assertEquals("echo", io.name());
  }

  @Test
  void parse_specWithOptionalKeys_overridesDefaults() {
    JobSpec parsed = parse("""
        name = "  custom  "
        input.range { from = 1, to = 3 }
        retries = 5
        max-failed-items = 7
        item-timeout = 1500ms
        stages = [ { op = repeat, times = 3, parallelism = 4, batch = 9 } ]
        """);

    assertEquals("custom", parsed.name());
    assertEquals(5, parsed.retries());
    assertEquals(7, parsed.maxFailedItems());
    assertEquals(Duration.ofMillis(1500), parsed.itemTimeout());
    JobSpec.Stage stage = parsed.stages().get(0);
    assertEquals(4, stage.parallelism());
    assertEquals(9, stage.batch());
    assertEquals(true, stage.fixedBatch(), "a batch the spec sets stays");
  }

  @Test
  void parse_stageParams_makeTheOpAndTravelInItsRef() throws Exception {
    JobSpec parsed = parse("input.range { from = 1, to = 3 }\nstages = [ { op = repeat, times = 3, batch = 2 } ]\n");

    JobSpec.Stage stage = parsed.stages().get(0);
    byte[] expected = (new String(HELLO, StandardCharsets.UTF_8)).repeat(3).getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(expected, ((CpuOp) stage.op()).apply("k", HELLO));
    assertEquals("repeat", stage.ref().name());
    assertArrayEquals(expected, registry.createCpu(stage.ref()).apply("k", HELLO),
        "a worker makes the same op from the ref; stage keys such as batch are not op params");
  }

  @Test
  void parse_stageWithoutParams_takesOpDefaultsFromBatonOps() throws Exception {
    JobSpec parsed = parse("input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\n");

    int times = config.getInt("baton.ops.repeat.times");
    byte[] expected = "hello".repeat(times).getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(expected, ((CpuOp) parsed.stages().get(0).op()).apply("k", HELLO));
  }

  // --- errors ---

  @Test
  void parse_hoconThatDoesNotParse_namesFileAndLine() {
    String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\nname = \"unterminated\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(SPEC + ":3: ", e.getMessage());
  }

  @Test
  void parse_unknownOp_listsKnownOps() {
    String text = "input.range { from = 1, to = 3 }\nstages = [\n  { op = repeat }\n  { op = shaa256 }\n]\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "shaa256") + "stage 2: unknown op shaa256; known ops: ", e.getMessage());
    for (String known : List.of("echo", "mislabeled", "repeat")) {
      assertTrue(e.getMessage().contains(known), e.getMessage() + " should name " + known);
    }
  }

  @Test
  void parse_missingStages_saysHowToWriteThem() {
    SpecException e = assertThrows(SpecException.class, () -> parse("input.range { from = 1, to = 3 }\n"));

    assertStartsWith(SPEC + ": missing stages", e.getMessage());
  }

  @Test
  void parse_missingInput_namesTheInputKinds() {
    SpecException e = assertThrows(SpecException.class, () -> parse("stages = [ { op = repeat } ]\n"));

    assertStartsWith(SPEC + ": missing input", e.getMessage());
    assertContainsAll(e.getMessage(), "input.files", "input.lines", "input.range");
  }

  @Test
  void parse_twoInputs_namesBoth() throws IOException {
    Files.writeString(dir.resolve("l.txt"), "x\n");
    String text = "stages = [ { op = repeat } ]\ninput {\n  lines = l.txt\n  range { from = 1, to = 2 }\n}\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "input {"), e.getMessage());
    assertTrue(e.getMessage().contains("exactly one of files, lines, range; found lines, range"), e.getMessage());
  }

  @Test
  void parse_emptyInput_saysNoneFound() {
    String text = "stages = [ { op = repeat } ]\ninput {}\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "input {}"), e.getMessage());
    assertTrue(e.getMessage().endsWith("found none"), e.getMessage());
  }

  @Test
  void parse_unknownTopKey_namesKeyAndLine() {
    String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\nretires = 3\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "retires") + "unknown key 'retires'; expected one of ", e.getMessage());
    assertContainsAll(e.getMessage(), "retries", "stages", "input", "output");
  }

  @Test
  void parse_unknownInputKind_isRejected() {
    String text = "stages = [ { op = repeat } ]\ninput.url = \"http://x\"\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "input.url") + "unknown input 'url'", e.getMessage());
  }

  @Test
  void parse_unknownStageParameter_listsTheOpsParameters() {
    String text = "input.range { from = 1, to = 3 }\nstages = [\n  { op = repeat, tims = 3 }\n]\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "tims") + "unknown parameter of op repeat 'tims'; expected one of ", e.getMessage());
    assertContainsAll(e.getMessage(), "times", "parallelism", "batch", "op");
  }

  @Test
  void parse_opParameterOfWrongType_namesOpParameterAndLine() {
    String text = "input.range { from = 1, to = 3 }\nstages = [\n  { op = repeat, times = lots }\n]\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "lots") + "op repeat: times: ", e.getMessage());
  }

  @Test
  void parse_opParameterOutOfRange_givesRangeAndValue() {
    String text = "input.range { from = 1, to = 3 }\nstages = [\n  { op = repeat, times = 1000 }\n]\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "1000") + "op repeat: times must be between 1 and " + RepeatOp.MAX_TIMES + ", got 1000",
        e.getMessage());
  }

  @Test
  void parse_fractionalOpParameter_isWrongTypeNotTruncated() {
    String text = "input.range { from = 1, to = 3 }\nstages = [\n  { op = repeat, times = 2.5 }\n]\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "2.5") + "op repeat: times: ", e.getMessage());
    assertTrue(e.getMessage().contains("2.5"), e.getMessage());
  }

  @Test
  void parse_fractionalStageAndJobNumbers_areWrongType() {
    for (String text : List.of(
        "input.range { from = 1, to = 3 }\nstages = [\n  { op = repeat, parallelism = 1.5 }\n]\n",
        "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\nretries = 0.5\n",
        "stages = [ { op = repeat } ]\ninput.range { from = 1, to = 3.9 }\n")) {
      String badLine = text.lines().filter(line -> line.matches(".*\\d\\.\\d.*")).findFirst().orElseThrow();

      SpecException e = assertThrows(SpecException.class, () -> parse(text), text);

      assertStartsWith(at(text, badLine), e.getMessage());
      assertTrue(e.getMessage().contains("whole number"), e.getMessage());
    }
  }

  @Test
  void parse_wholeNumbersWrittenAsDecimalOrText_areAccepted() {
    JobSpec parsed = parse("input.range { from = 1, to = \"3\" }\nstages = [ { op = repeat, times = 3.0 } ]\n");

    assertEquals(new JobSpec.Range(1, 3), parsed.input());
  }

  @Test
  void parse_parallelismOutOfRange_givesRangeAndValue() {
    String text = "input.range { from = 1, to = 3 }\nstages = [\n  { op = repeat, parallelism = 0 }\n]\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "parallelism") + "parallelism must be between 1 and " + job.getInt("max-parallelism")
        + ", got 0", e.getMessage());
  }

  @Test
  void parse_retriesOfWrongType_namesLine() {
    String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\nretries = many\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "retries"), e.getMessage());
    assertTrue(e.getMessage().contains("retries"), e.getMessage());
  }

  @Test
  void parse_retriesOutOfRange_givesRange() {
    String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\nretries = -1\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "retries") + "retries must be between 0 and 100, got -1", e.getMessage());
  }

  @Test
  void parse_zeroItemTimeout_isRejected() {
    String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\nitem-timeout = 0s\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "item-timeout") + "item-timeout must be positive", e.getMessage());
  }

  @Test
  void parse_itemTimeoutThatIsNoDuration_namesLine() {
    String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\nitem-timeout = soon\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "item-timeout"), e.getMessage());
  }

  @Test
  void parse_globThatMatchesNothing_namesGlobAndLine() throws IOException {
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/a.bin"), "a");
    String text = "stages = [ { op = repeat } ]\ninput.files = \"data/*.txt\"\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "input.files") + "input.files data/*.txt matches no file", e.getMessage());
  }

  @Test
  void parse_withTheFilesMatchedAtSubmit_takesThemWithoutExpandingTheGlob() {
    // Nothing on disk matches the glob now; the files it matched at submit are gone.
    String text = "stages = [ { op = repeat } ]\ninput.files = \"data/*.txt\"\n";
    List<Path> matched = List.of(dir.resolve("data/a.txt"), dir.resolve("data/b.txt"));

    JobSpec parsed = parser.parse(text, SPEC, dir, matched);

    assertEquals(new JobSpec.Files("data/*.txt", matched), parsed.input());
  }

  @Test
  void parse_linesFileMissing_namesResolvedPath() {
    String text = "stages = [ { op = repeat } ]\ninput.lines = missing.txt\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "input.lines") + "input.lines " + dir.resolve("missing.txt").toAbsolutePath()
        + " is not a readable file", e.getMessage());
  }

  @Test
  void parse_rangeBackwards_givesBothEnds() {
    String text = "stages = [ { op = repeat } ]\ninput.range { from = 5, to = 4 }\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "input.range") + "input.range: to (4) is less than from (5)", e.getMessage());
  }

  @Test
  void parse_rangeWithoutTo_saysWhatIsMissing() {
    String text = "stages = [ { op = repeat } ]\ninput.range { from = 5 }\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "input.range") + "input.range needs to", e.getMessage());
  }

  @Test
  void parse_rangeOverWholeLongSpan_isTooLargeNotOverflowed() {
    String text = "stages = [ { op = repeat } ]\ninput.range { from = " + Long.MIN_VALUE + ", to = " + Long.MAX_VALUE
        + " }\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "input.range") + "input.range has more than baton.job.max-items = "
        + job.getLong("max-items") + " items", e.getMessage());
  }

  @Test
  void parse_rangeOfExactlyMaxItems_isAccepted() {
    long max = job.getLong("max-items");

    JobSpec parsed = parse("stages = [ { op = repeat } ]\ninput.range { from = 1, to = " + max + " }\n");

    assertEquals(max, parsed.input().size().orElseThrow());
  }

  @Test
  void parse_emptyStages_isRejected() {
    String text = "input.range { from = 1, to = 3 }\nstages = []\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertEquals(at(text, "stages") + "stages is empty: give at least one stage", e.getMessage());
  }

  @Test
  void parse_stageWithoutOp_listsKnownOps() {
    String text = "input.range { from = 1, to = 3 }\nstages = [\n  { times = 2 }\n]\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "times") + "stage 1 has no op; known ops: ", e.getMessage());
    assertTrue(e.getMessage().contains("repeat"), e.getMessage());
  }

  @Test
  void parse_outputIsAFolder_isRejected() throws IOException {
    Files.createDirectories(dir.resolve("out"));
    String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\noutput = out\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "output"), e.getMessage());
    assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
  }

  @Test
  void parse_outputUnderAFileNotAFolder_isRejectedNamingSharedStorage() throws IOException {
    Files.writeString(dir.resolve("plain.txt"), "a file, not a folder");
    String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\noutput = plain.txt/sub/out.tsv\n";

    SpecException e = assertThrows(SpecException.class, () -> parse(text));

    assertStartsWith(at(text, "output"), e.getMessage());
    assertTrue(e.getMessage().contains("cannot write") && e.getMessage().contains("every coordinator"),
        e.getMessage());
  }

  @Test
  void parse_errorsInAFolderTheCoordinatorCannotWrite_isRejected() throws IOException {
    Path locked = Files.createDirectories(dir.resolve("locked"));
    assertTrue(locked.toFile().setWritable(false, false));
    try {
      // Root writes anywhere: nothing to check then.
      org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(locked), "running as root");
      String text = "input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\nerrors = locked/failed.tsv\n";

      SpecException e = assertThrows(SpecException.class, () -> parse(text));

      assertStartsWith(at(text, "errors"), e.getMessage());
      assertTrue(e.getMessage().contains("cannot write"), e.getMessage());
    } finally {
      locked.toFile().setWritable(true, false);
    }
  }

  @Test
  void parse_outputInFoldersNotMadeYet_accepted() {
    JobSpec parsed = parse("input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\noutput = a/b/out.tsv\n");

    assertEquals(Optional.of(dir.resolve("a/b/out.tsv")), parsed.output().map(Path::toAbsolutePath));
  }

  @Test
  void parse_opDeclaredCpuThatMakesIoOp_isRejected() {
    SpecException e = assertThrows(SpecException.class,
        () -> parse("input.range { from = 1, to = 3 }\nstages = [ { op = mislabeled } ]\n"));

    assertStartsWith("op mislabeled is declared cpu but made a ", e.getMessage());
  }

  @Test
  void parse_priorityAndStageRates_readIntoTheSpec() {
    JobSpec parsed = parse("""
        input.range { from = 1, to = 3 }
        priority = -7
        stages = [ { op = repeat, rate = "50/s" }, { op = echo, rate = " 600 / min " }, { op = echo, rate = "5/100ms" } ]
        """);

    assertEquals(-7, parsed.priority());
    assertEquals(Optional.of(new JobSpec.Rate(50, Duration.ofSeconds(1), "50/s")), parsed.stages().get(0).rate());
    assertEquals(Optional.of(new JobSpec.Rate(600, Duration.ofMinutes(1), "600 / min")),
        parsed.stages().get(1).rate());
    assertEquals(Duration.ofMillis(100), parsed.stages().get(2).rate().orElseThrow().per());
    assertEquals("{}", parsed.stages().get(0).ref().params(), "rate is the stage's, not a parameter of its op");
  }

  @Test
  void parse_noPriorityNorRate_priorityZeroAndNoLimit() {
    JobSpec parsed = parse("input.range { from = 1, to = 3 }\nstages = [ { op = repeat } ]\n");

    assertEquals(0, parsed.priority());
    assertEquals(Optional.empty(), parsed.stages().get(0).rate());
  }

  @Test
  void parse_badRateOrPriority_oneMessageNamingTheLine() {
    for (String rate : List.of("\"fast\"", "50", "\"50/fortnight\"", "\"0/s\"", "\"5/0s\"", "\"1/2d\"")) {
      String text = "input.range { from = 1, to = 3 }\nstages = [\n { op = repeat, rate = " + rate + " }\n]\n";

      SpecException e = assertThrows(SpecException.class, () -> parse(text), rate);

      assertStartsWith(SPEC + ":3: stage 1: rate must look like \"50/s\"", e.getMessage());
    }
    SpecException e = assertThrows(SpecException.class,
        () -> parse("input.range { from = 1, to = 3 }\npriority = 5000\nstages = [ { op = repeat } ]\n"));
    assertStartsWith(SPEC + ":2: priority must be between -1000 and 1000, got 5000", e.getMessage());
  }

  // --- helpers ---

  private JobSpec parse(String text) {
    return parser.parse(text, SPEC, dir);
  }

  /** The {@code file:line: } prefix for the first line of the spec that contains the needle. */
  private static String at(String text, String needle) {
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains(needle)) {
        return SPEC + ":" + (i + 1) + ": ";
      }
    }
    throw new AssertionError(needle + " is not in the spec");
  }

  private static void assertStartsWith(String prefix, String actual) {
    assertTrue(actual.startsWith(prefix), () -> "expected a message starting with <" + prefix + "> but was <"
        + actual + ">");
  }

  private static void assertContainsAll(String actual, String... parts) {
    for (String part : parts) {
      assertTrue(actual.contains(part), () -> "expected <" + actual + "> to contain <" + part + ">");
    }
  }
}
