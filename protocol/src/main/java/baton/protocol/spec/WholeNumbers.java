package baton.protocol.spec;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

/**
 * Reads whole numbers strictly. Typesafe Config turns {@code 1e30} or {@code 99999999999999999999} into a double
 * and {@code getLong} then clamps it to {@link Long#MAX_VALUE}; a spec saying that means something else.
 */
public final class WholeNumbers {

  private WholeNumbers() {
  }

  /** The value at {@code path} as a long; a fraction, a double or a number beyond a long is a bad value. */
  public static long get(Config config, String path) {
    ConfigValue value = config.getValue(path);
    if (value.valueType() == ConfigValueType.NUMBER) {
      Object number = value.unwrapped();
      if (number instanceof Integer || number instanceof Long) {
        return ((Number) number).longValue();
      }
      throw notWhole(value, path);
    }
    if (value.valueType() == ConfigValueType.STRING) {
      // Quoted numbers such as "12" count in HOCON too, but only as exact whole numbers here.
      try {
        return Long.parseLong(((String) value.unwrapped()).strip());
      } catch (NumberFormatException e) {
        throw notWhole(value, path);
      }
    }
    // Names the wrong type in Typesafe Config's own words.
    return config.getLong(path);
  }

  private static ConfigException notWhole(ConfigValue value, String path) {
    return new ConfigException.BadValue(value.origin(), path,
        "must be a whole number between " + Long.MIN_VALUE + " and " + Long.MAX_VALUE + ", got " + value.render());
  }
}
