package baton.coordinator.spec;

import baton.protocol.op.OpRegistry;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * Parsers over the built-in ops and the parser tests' user ops ({@code testops}), the defaults of reference.conf and
 * the io roots a test chooses.
 */
final class TestParsers {

  private static final String SERVICES = "META-INF/services/baton.protocol.op.OpProvider";
  private static final String TEST_OPS = "baton/coordinator/spec/test-ops.services";

  private TestParsers() {
  }

  static Config config(Path... roots) {
    return ConfigFactory.empty()
        .withValue("baton.io.roots", ConfigValueFactory.fromIterable(
            List.of(roots).stream().map(Path::toString).toList()))
        .withFallback(ConfigFactory.load());
  }

  static JobSpecParser under(Path... roots) {
    Config config = config(roots);
    return new JobSpecParser(OpRegistry.load(opLoader(), config), JobDefaults.from(config));
  }

  /**
   * The test class loader, whose op services also list the parser tests' user ops: they are not in
   * {@code META-INF/services}, where the tests of the coordinator (and of the app, through the test jar) would see
   * them in their lists of known ops.
   */
  static ClassLoader opLoader() {
    ClassLoader parent = TestParsers.class.getClassLoader();
    return new ClassLoader(parent) {
      @Override
      public Enumeration<URL> getResources(String name) throws IOException {
        List<URL> found = new ArrayList<>(Collections.list(super.getResources(name)));
        if (name.equals(SERVICES)) {
          found.add(parent.getResource(TEST_OPS));
        }
        return Collections.enumeration(found);
      }
    };
  }
}
