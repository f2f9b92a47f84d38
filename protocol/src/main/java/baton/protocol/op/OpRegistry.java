package baton.protocol.op;

import baton.protocol.spec.OpRef;
import baton.protocol.spec.SpecException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The ops Baton knows: built-in and user {@link OpProvider}s found with {@link ServiceLoader}. */
public final class OpRegistry {

  private final Map<String, OpProvider> providers;
  private final Config defaults;

  private OpRegistry(Map<String, OpProvider> providers, Config defaults) {
    this.providers = providers;
    this.defaults = defaults;
  }

  /**
   * Loads every provider visible to the class loader. {@code config} is the system's config: op defaults come
   * from its {@code baton.ops} section.
   *
   * @throws SpecException when two providers claim the same name or one cannot be loaded
   */
  public static OpRegistry load(ClassLoader loader, Config config) {
    Map<String, OpProvider> found = new TreeMap<>();
    try {
      for (OpProvider provider : ServiceLoader.load(OpProvider.class, loader)) {
        OpProvider clash = found.putIfAbsent(provider.name(), provider);
        if (clash != null && !clash.getClass().equals(provider.getClass())) {
          throw new SpecException("two ops are named " + provider.name() + ": "
              + clash.getClass().getName() + " and " + provider.getClass().getName());
        }
      }
    } catch (ServiceConfigurationError e) {
      throw new SpecException("cannot load an op: " + e.getMessage());
    }
    Config ops = config.hasPath("baton.ops") ? config.getConfig("baton.ops") : ConfigFactory.empty();
    return new OpRegistry(Map.copyOf(found), ops);
  }

  public Optional<OpProvider> find(String name) {
    return Optional.ofNullable(providers.get(name));
  }

  /** The known op names, sorted, for error messages and {@code --help}. */
  public String knownNames() {
    return String.join(", ", new TreeMap<>(providers).keySet());
  }

  /**
   * Makes an op from a stage's parameters as written in a spec.
   *
   * @param roots the folders the op may touch
   */
  public Op create(OpProvider provider, Config stage, Path baseDir, IoRoots roots, ConfigOrigin origin) {
    Config withDefaults = defaults.hasPath(quoted(provider.name()))
        ? stage.withFallback(defaults.getConfig(quoted(provider.name())))
        : stage;
    Op op = provider.create(new OpParams(provider.name(), withDefaults, baseDir, origin, roots));
    boolean fits = provider.kind() == OpKind.CPU ? op instanceof CpuOp : op instanceof IoOp;
    if (!fits) {
      throw new SpecException("op " + provider.name() + " is declared " + provider.kind().label()
          + " but made a " + op.getClass().getName());
    }
    return op;
  }

  /** Makes the cpu op a coordinator sent to a worker; it may touch no files. */
  public CpuOp createCpu(OpRef ref) {
    OpProvider provider = find(ref.name())
        .orElseThrow(() -> new SpecException("unknown op " + ref.name() + "; known ops: " + knownNames()));
    Config params = ConfigFactory.parseString(ref.params(),
        ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON).setOriginDescription(ref.name()));
    Op op = create(provider, params, Path.of(""), IoRoots.none(), params.origin());
    if (!(op instanceof CpuOp cpu)) {
      throw new SpecException("op " + ref.name() + " is not a cpu op");
    }
    return cpu;
  }

  private static String quoted(String name) {
    return ConfigUtil.joinPath(name);
  }
}
