package baton.coordinator.spec;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;
import java.io.File;
import java.net.URL;

/**
 * Refuses every HOCON {@code include}. A spec may come from anyone who can reach the API; an include would read a
 * file, a URL or a class path resource of the coordinator and echo it back in error messages. Each include kind
 * is implemented here, since Typesafe Config falls back to its own includer for the kinds an includer lacks.
 */
final class NoIncludes implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL, ConfigIncluderClasspath {

  static final NoIncludes INSTANCE = new NoIncludes();

  private NoIncludes() {
  }

  @Override
  public ConfigIncluder withFallback(ConfigIncluder fallback) {
    return this;
  }

  @Override
  public ConfigObject include(ConfigIncludeContext context, String what) {
    throw refused(what);
  }

  @Override
  public ConfigObject includeFile(ConfigIncludeContext context, File what) {
    throw refused("file(" + what + ")");
  }

  @Override
  public ConfigObject includeURL(ConfigIncludeContext context, URL what) {
    throw refused("url(" + what + ")");
  }

  @Override
  public ConfigObject includeResources(ConfigIncludeContext context, String what) {
    throw refused("classpath(" + what + ")");
  }

  private static ConfigException refused(String what) {
    return new ConfigException.Generic("include is not allowed in a job spec (include " + what + ")");
  }
}
