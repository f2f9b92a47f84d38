package baton.coordinator.spec;

import baton.protocol.op.IoRoots;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpProvider;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.OpRef;
import baton.protocol.spec.Origins;
import baton.protocol.spec.SpecException;
import baton.protocol.spec.WholeNumbers;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a job spec from HOCON and checks all of it: keys, types, ranges, ops and their parameters, inputs that
 * must exist. Every problem becomes one {@link SpecException} naming the file and line where HOCON gives one.
 */
public final class JobSpecParser {

  private static final Set<String> TOP_KEYS =
      Set.of("name", "input", "stages", "output", "errors", "max-failed-items", "retries", "item-timeout",
          "priority");
  private static final Set<String> STAGE_KEYS = Set.of("op", "parallelism", "batch", "rate");
  /** A rate: items per unit, the unit optionally with a count ("50/s", "600/min", "5/100ms"). */
  private static final Pattern RATE = Pattern.compile("\\s*(\\d{1,9})\\s*/\\s*(\\d{0,9})\\s*([a-z]+)\\s*");
  private static final Set<String> INPUT_KINDS = Set.of("files", "lines", "range");

  private final OpRegistry registry;
  private final JobDefaults defaults;
  // The hash of the code bundle whose ops this parser knows, or null; and where bundles' registries come from.
  private final String code;
  private final Function<String, OpRegistry> bundles;

  public JobSpecParser(OpRegistry registry, JobDefaults defaults) {
    this(registry, defaults, null, null);
  }

  private JobSpecParser(OpRegistry registry, JobDefaults defaults, String code,
      Function<String, OpRegistry> bundles) {
    this.registry = registry;
    this.defaults = defaults;
    this.code = code;
    this.bundles = bundles;
  }

  /**
   * This parser, able to read specs of jobs that brought code: {@code bundles} gives the registry of a bundle by
   * its hash (a class loader of that job's own).
   */
  public JobSpecParser withBundles(Function<String, OpRegistry> bundles) {
    return new JobSpecParser(registry, defaults, null, bundles);
  }

  /**
   * The parser for a job that brought the code bundle {@code hash} (null: none, this parser): it knows the bundle's
   * ops besides Baton's, and its stages name the bundle, so that nodes load the same code.
   *
   * @throws SpecException when this coordinator has no such bundle
   */
  public JobSpecParser forCode(String hash) {
    if (hash == null) {
      return this;
    }
    if (bundles == null) {
      throw new SpecException("this coordinator takes no code with a job");
    }
    return new JobSpecParser(bundles.apply(hash), defaults, hash, bundles);
  }

  /**
   * Reads a spec from text.
   *
   * @param sourceName the name errors give for the spec, usually its file name
   * @param baseDir the folder relative paths resolve against
   */
  public JobSpec parse(String text, String sourceName, Path baseDir) {
    return parse(text, sourceName, baseDir, null);
  }

  /**
   * Reads the spec of a job accepted earlier, to run it again: a {@code files} input takes {@code matched}, the
   * files its glob matched at submit, and does not expand the glob again. A file gone since is then an item that
   * fails when read, not a job that cannot run.
   *
   * @param matched the files matched at submit, or null to expand the glob as {@link #parse(String, String, Path)}
   */
  public JobSpec parse(String text, String sourceName, Path baseDir, List<Path> matched) {
    int tooDeep = Nesting.lineTooDeep(text, defaults.maxNesting());
    if (tooDeep > 0) {
      throw new SpecException(sourceName + ":" + tooDeep + ": the spec nests objects, lists or dotted keys deeper "
          + "than baton.job.max-nesting = " + defaults.maxNesting());
    }
    try {
      Config config = parseHocon(text, sourceName);
      return read(config, sourceName, baseDir.toAbsolutePath().normalize(), text, matched);
    } catch (ConfigException e) {
      throw new SpecException(Origins.where(e.origin()) + Origins.withoutOrigin(e));
    } catch (StackOverflowError e) {
      // The nesting check above should make this unreachable; a spec must never take the process down.
      throw new SpecException(sourceName + ": the spec is nested too deeply to read");
    }
  }

  private static Config parseHocon(String text, String sourceName) {
    Config config = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
        .setOriginDescription(sourceName).setIncluder(NoIncludes.INSTANCE));
    // Substitutions could read the coordinator's environment (tokens, passwords) into a job's name, and a few
    // lines of ${a}${a}${a} nested ten deep make gigabytes; a job spec has no need for either.
    if (!config.isResolved()) {
      throw new SpecException(sourceName + ": substitutions such as ${...} (and +=) are not allowed in a job spec");
    }
    return config.resolve(ConfigResolveOptions.noSystem());
  }

  private JobSpec read(Config config, String sourceName, Path baseDir, String text, List<Path> matched) {
    rejectUnknownKeys(config.root(), TOP_KEYS, "key");
    String name = config.hasPath("name") ? config.getString("name").strip() : baseName(sourceName);
    if (name.isEmpty()) {
      throw at(config.getValue("name").origin(), "name must not be empty");
    }
    JobSpec.Input input = readInput(config, sourceName, baseDir, matched);
    List<JobSpec.Stage> stages = readStages(config, sourceName, baseDir);
    Optional<Path> output = file(config, "output", baseDir);
    Optional<Path> errors = file(config, "errors", baseDir);
    if (errors.isPresent() && errors.equals(output)) {
      throw at(config.getValue("errors").origin(), "errors and output name the same file " + errors.get());
    }
    int maxFailed = intIn(config, "max-failed-items", defaults.maxFailedItems(), 0, Integer.MAX_VALUE);
    int retries = intIn(config, "retries", defaults.retries(), 0, 100);
    Duration itemTimeout = config.hasPath("item-timeout") ? config.getDuration("item-timeout")
        : defaults.itemTimeout();
    if (itemTimeout.isNegative() || itemTimeout.isZero()) {
      throw at(config.getValue("item-timeout").origin(), "item-timeout must be positive");
    }
    int priority = intIn(config, "priority", 0, -1000, 1000);
    return new JobSpec(name, input, stages, output, maxFailed, retries, itemTimeout, priority, text, errors);
  }

  /**
   * A file the job writes ({@code output}, {@code errors}): resolved against the spec's folder, under the roots, in
   * a folder this coordinator can write (see {@link #writableFile}).
   */
  private Optional<Path> file(Config config, String key, Path baseDir) {
    if (!config.hasPath(key)) {
      return Optional.empty();
    }
    return Optional.of(writableFile(config.getString(key), baseDir, key, config.getValue(key).origin()));
  }

  /**
   * A file a job may write, given as {@code path} (relative to {@code baseDir}): under {@code baton.io.roots}, not a
   * folder, and in a folder this coordinator can write or make, or a {@link SpecException} saying why, naming it
   * {@code what}. With several coordinators, whichever owns the jobs writes the file, so it must be on storage
   * every coordinator reaches, at the same path.
   */
  public Path writableFile(String path, Path baseDir, String what) {
    return writableFile(path, baseDir.toAbsolutePath().normalize(), what, null);
  }

  private Path writableFile(String path, Path baseDir, String what, ConfigOrigin origin) {
    if (path.isBlank()) {
      throw at(origin, what + " must not be empty");
    }
    Path file = insideRoots(resolve(baseDir, path, origin), origin, what);
    if (Files.isDirectory(file)) {
      throw at(origin, what + " " + file + " is a folder; name a file");
    }
    // The coordinator that owns the jobs writes the file, and with several coordinators (a cluster singleton) the
    // next owner goes on writing it after a take-over: the file must be on storage every coordinator reaches (a
    // shared mount at the same path), and a relative path resolves against the spec's folder as the client named
    // it, which then must be such a mount too. What can be checked here is that this coordinator can write there;
    // the writer makes the missing folders.
    Path folder = file.getParent();
    while (folder != null && !Files.exists(folder)) {
      folder = folder.getParent();
    }
    if (folder == null || !Files.isDirectory(folder) || !Files.isWritable(folder)) {
      throw at(origin, what + " " + file + ": this coordinator cannot write in " + folder
          + (folder != null && !Files.isDirectory(folder) ? " (a file, not a folder)" : "")
          + "; output and errors must be on storage every coordinator reaches, at the same path");
    }
    return file;
  }

  private JobSpec.Input readInput(Config config, String sourceName, Path baseDir, List<Path> matched) {
    if (!config.hasPath("input")) {
      throw new SpecException(sourceName + ": missing input: give one of input.files, input.lines, input.range");
    }
    ConfigValue value = config.getValue("input");
    if (value.valueType() != ConfigValueType.OBJECT) {
      throw at(value.origin(), "input must be an object with one of files, lines, range");
    }
    ConfigObject object = (ConfigObject) value;
    rejectUnknownKeys(object, INPUT_KINDS, "input");
    if (object.size() != 1) {
      throw at(value.origin(), "input needs exactly one of files, lines, range; found "
          + (object.isEmpty() ? "none" : String.join(", ", new TreeSet<>(object.keySet()))));
    }
    Config input = object.toConfig();
    if (input.hasPath("files")) {
      String glob = input.getString("files");
      if (matched != null) {
        return new JobSpec.Files(glob, List.copyOf(matched));
      }
      ConfigOrigin origin = input.getValue("files").origin();
      List<Path> files;
      try {
        files = Glob.expand(baseDir, glob, defaults.roots());
      } catch (IOException e) {
        throw at(origin, "cannot list files for " + glob + ": " + describe(e));
      } catch (UncheckedIOException e) {
        throw at(origin, "cannot list files for " + glob + ": " + describe(e.getCause()));
      } catch (IoRoots.OutsideRoots e) {
        throw at(origin, "input.files: " + e.getMessage());
      } catch (IllegalArgumentException e) {
        // An invalid path or glob syntax, named by the exception's message.
        throw at(origin, "input.files " + glob + " is not a valid glob: " + e.getMessage());
      }
      if (files.isEmpty()) {
        throw at(input.getValue("files").origin(), "input.files " + glob + " matches no file");
      }
      if (files.size() > defaults.maxItems()) {
        throw at(input.getValue("files").origin(), "input.files matches " + files.size()
            + " files, more than baton.job.max-items = " + defaults.maxItems());
      }
      for (Path file : files) {
        insideRoots(file, origin, "input.files");
      }
      return new JobSpec.Files(glob, List.copyOf(files));
    }
    if (input.hasPath("lines")) {
      Path file = insideRoots(resolve(baseDir, input.getString("lines"), input.getValue("lines").origin()),
          input.getValue("lines").origin(), "input.lines");
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw at(input.getValue("lines").origin(), "input.lines " + file + " is not a readable file");
      }
      return new JobSpec.Lines(file);
    }
    ConfigValue rangeValue = input.getValue("range");
    if (rangeValue.valueType() != ConfigValueType.OBJECT) {
      throw at(rangeValue.origin(), "input.range must be an object { from = 1, to = 1000 }");
    }
    rejectUnknownKeys((ConfigObject) rangeValue, Set.of("from", "to"), "input.range");
    Config range = input.getConfig("range");
    for (String key : List.of("from", "to")) {
      if (!range.hasPath(key)) {
        throw at(rangeValue.origin(), "input.range needs " + key);
      }
    }
    long from = WholeNumbers.get(range, "from");
    long to = WholeNumbers.get(range, "to");
    if (to < from) {
      throw at(rangeValue.origin(), "input.range: to (" + to + ") is less than from (" + from + ")");
    }
    // Subtracting first keeps ranges near Long.MIN_VALUE/MAX_VALUE from overflowing the count.
    if (to - from < 0 || to - from >= defaults.maxItems()) {
      throw at(rangeValue.origin(), "input.range has more than baton.job.max-items = "
          + defaults.maxItems() + " items");
    }
    return new JobSpec.Range(from, to);
  }

  private List<JobSpec.Stage> readStages(Config config, String sourceName, Path baseDir) {
    if (!config.hasPath("stages")) {
      throw new SpecException(sourceName + ": missing stages: give a list such as stages = [ { op = sha256 } ]");
    }
    ConfigValue value = config.getValue("stages");
    if (value.valueType() != ConfigValueType.LIST) {
      throw at(value.origin(), "stages must be a list of objects such as [ { op = sha256 } ]");
    }
    List<? extends ConfigValue> list = config.getList("stages");
    if (list.isEmpty()) {
      throw at(value.origin(), "stages is empty: give at least one stage");
    }
    List<JobSpec.Stage> stages = new ArrayList<>();
    for (ConfigValue entry : list) {
      int index = stages.size() + 1;
      if (entry.valueType() != ConfigValueType.OBJECT) {
        throw at(entry.origin(), "stage " + index + " must be an object such as { op = sha256 }");
      }
      stages.add(readStage(index, (ConfigObject) entry, baseDir));
    }
    return List.copyOf(stages);
  }

  private JobSpec.Stage readStage(int index, ConfigObject object, Path baseDir) {
    Config stage = object.toConfig();
    if (!stage.hasPath("op")) {
      throw at(object.origin(), "stage " + index + " has no op; known ops: " + registry.knownNames());
    }
    String name = stage.getString("op");
    OpProvider provider = registry.find(name).orElseThrow(() -> at(stage.getValue("op").origin(),
        "stage " + index + ": unknown op " + name + "; known ops: " + registry.knownNames()));
    Set<String> allowed = new TreeSet<>(STAGE_KEYS);
    allowed.addAll(provider.parameters());
    rejectUnknownKeys(object, allowed, "parameter of op " + name);
    boolean cpu = provider.kind() == OpKind.CPU;
    int parallelism = intIn(stage, "parallelism",
        cpu ? defaults.cpuParallelism() : defaults.ioParallelism(), 1, defaults.maxParallelism());
    int batch = intIn(stage, "batch", cpu ? defaults.cpuBatch() : 1, 1, 100_000);
    Optional<JobSpec.Rate> rate = stage.hasPath("rate") ? Optional.of(readRate(stage, index)) : Optional.empty();
    Config params = stage.withoutPath("op").withoutPath("parallelism").withoutPath("batch").withoutPath("rate");
    Op op = registry.create(provider, params, baseDir, defaults.roots(), object.origin());
    String rendered = params.root().render(ConfigRenderOptions.concise());
    return new JobSpec.Stage(index, provider.kind(), parallelism, batch, op, new OpRef(name, rendered, code), rate,
        stage.hasPath("batch"));
  }

  private static JobSpec.Rate readRate(Config stage, int index) {
    ConfigValue value = stage.getValue("rate");
    String problem = "stage " + index + ": rate must look like \"50/s\", \"600/min\", \"3600/h\" or \"5/100ms\"";
    if (value.valueType() != ConfigValueType.STRING) {
      throw at(value.origin(), problem);
    }
    String text = stage.getString("rate");
    Matcher m = RATE.matcher(text.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw at(value.origin(), problem + ", got \"" + text + "\"");
    }
    int items = Integer.parseInt(m.group(1));
    long count = m.group(2).isEmpty() ? 1 : Long.parseLong(m.group(2));
    Duration unit = switch (m.group(3)) {
      case "ms", "milli", "millis", "millisecond", "milliseconds" -> Duration.ofMillis(1);
      case "s", "sec", "second", "seconds" -> Duration.ofSeconds(1);
      case "m", "min", "minute", "minutes" -> Duration.ofMinutes(1);
      case "h", "hour", "hours" -> Duration.ofHours(1);
      default -> throw at(value.origin(), problem + ": unknown unit \"" + m.group(3) + "\"");
    };
    if (items < 1 || count < 1 || count > 1_000_000) {
      throw at(value.origin(), problem + ", got \"" + text + "\" (both numbers must be at least 1)");
    }
    Duration per = unit.multipliedBy(count);
    if (per.toMillis() < 1 || per.compareTo(Duration.ofDays(1)) > 0) {
      throw at(value.origin(), problem + ", got \"" + text + "\" (the period must be between 1ms and 1 day)");
    }
    return new JobSpec.Rate(items, per, text.strip());
  }

  private static int intIn(Config config, String key, int fallback, int min, int max) {
    if (!config.hasPath(key)) {
      return fallback;
    }
    long value = WholeNumbers.get(config, key);
    if (value < min || value > max) {
      throw at(config.getValue(key).origin(), key + " must be between " + min + " and " + max + ", got " + value);
    }
    return (int) value;
  }

  private static void rejectUnknownKeys(ConfigObject object, Set<String> allowed, String what) {
    for (var entry : object.entrySet()) {
      if (!allowed.contains(entry.getKey())) {
        throw at(entry.getValue().origin(), "unknown " + what + " '" + entry.getKey() + "'; expected one of "
            + String.join(", ", new TreeSet<>(allowed)));
      }
    }
  }

  private static Path resolve(Path baseDir, String path, ConfigOrigin origin) {
    try {
      return baseDir.resolve(path).normalize();
    } catch (InvalidPathException e) {
      throw at(origin, "not a valid path: " + e.getMessage());
    }
  }

  /** The path's real location, or a SpecException when it lies outside baton.io.roots. */
  private Path insideRoots(Path path, ConfigOrigin origin, String what) {
    try {
      return defaults.roots().inside(path);
    } catch (IoRoots.OutsideRoots e) {
      throw at(origin, what + ": " + e.getMessage());
    }
  }

  private static SpecException at(ConfigOrigin origin, String message) {
    return new SpecException(Origins.where(origin) + message);
  }

  private static String baseName(String sourceName) {
    // Not Path.of: the name comes from a client and need not be a valid path on this system.
    String file = sourceName.substring(Math.max(sourceName.lastIndexOf('/'), sourceName.lastIndexOf('\\')) + 1);
    int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(0, dot) : file;
  }

  private static String describe(IOException e) {
    String kind = e.getClass().getSimpleName();
    return e.getMessage() == null ? kind : kind + " " + e.getMessage();
  }
}
