package baton.protocol.op;

import baton.protocol.spec.OpRef;
import baton.protocol.spec.SpecException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The ops Baton knows: built-in and user {@link OpProvider}s found with {@link ServiceLoader}. A job that brought
 * its own code has a registry of its own ({@link #forBundle}), whose class loader is that job's alone.
 */
public final class OpRegistry {

  // The name of a bundle's class loader, by which closeBundle knows one.
  private static final String BUNDLE_LOADER = "baton-job-code";

  private final Map<String, OpProvider> providers;
  private final Config defaults;
  private final ClassLoader loader;

  private OpRegistry(Map<String, OpProvider> providers, Config defaults, ClassLoader loader) {
    this.providers = providers;
    this.defaults = defaults;
    this.loader = loader;
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
    return new OpRegistry(Map.copyOf(found), ops, loader);
  }

  /**
   * The registry of a job that brought its own code: these ops and those of the bundle (a jar), loaded by a class
   * loader of its own whose parent is this registry's. An op of the bundle comes before one of the same name here,
   * so a job may bring a newer version of an installed op. {@link #closeBundle} closes the loader's jar; once
   * nothing refers to the registry and its ops, the loader and its classes are collected.
   *
   * @throws SpecException when two ops of the bundle have one name or one cannot be loaded
   */
  public OpRegistry forBundle(Path jar) {
    URLClassLoader bundle;
    try {
      bundle = new URLClassLoader(BUNDLE_LOADER, new URL[] {jar.toUri().toURL()}, loader);
    } catch (MalformedURLException e) {
      throw new UncheckedIOException("not a usable path: " + jar, e);
    }
    Map<String, OpProvider> found = new TreeMap<>(providers);
    Map<String, OpProvider> own = new TreeMap<>();
    try {
      for (OpProvider provider : ServiceLoader.load(OpProvider.class, bundle)) {
        if (provider.getClass().getClassLoader() != bundle) {
          continue;
        }
        OpProvider clash = own.putIfAbsent(provider.name(), provider);
        if (clash != null && !clash.getClass().equals(provider.getClass())) {
          throw new SpecException("two ops of the job's code are named " + provider.name() + ": "
              + clash.getClass().getName() + " and " + provider.getClass().getName());
        }
      }
    } catch (ServiceConfigurationError e) {
      closeQuietly(bundle);
      throw new SpecException("cannot load an op of the job's code: " + e.getMessage());
    } catch (RuntimeException e) {
      closeQuietly(bundle);
      throw e;
    }
    found.putAll(own);
    return new OpRegistry(Map.copyOf(found), defaults, bundle);
  }

  /** Closes the jar of a registry made by {@link #forBundle}; does nothing for others. */
  public void closeBundle() {
    if (loader instanceof URLClassLoader bundle && BUNDLE_LOADER.equals(bundle.getName())) {
      closeQuietly(bundle);
    }
  }

  /** The class loader ops come from, the parent of a bundle's. */
  public ClassLoader loader() {
    return loader;
  }

  private static void closeQuietly(URLClassLoader bundle) {
    try {
      bundle.close();
    } catch (IOException e) {
      // Only the jar's file handle is at stake; the loader is dropped either way.
    }
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

  /**
   * Makes the cpu op a coordinator sent to a worker; it may touch no files. The op of a job that brought code
   * ({@link OpRef#code()}) comes from that job's registry, which a node's code cache makes; here it is looked for
   * among this registry's.
   */
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
