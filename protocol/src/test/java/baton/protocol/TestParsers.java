package baton.protocol;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.List;

/** Parsers over the test ops, with the defaults of reference.conf and the io roots a test chooses. */
final class TestParsers {

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
    return new JobSpecParser(OpRegistry.load(TestParsers.class.getClassLoader(), config), JobDefaults.from(config));
  }
}
