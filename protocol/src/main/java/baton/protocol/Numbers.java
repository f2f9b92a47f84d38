package baton.protocol;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/** Reads whole numbers from HOCON, where {@link Config#getLong} would silently cut {@code 2.5} down to 2. */
final class Numbers {

  private Numbers() {
  }

  /**
   * The value at {@code path} as a long; {@code 3}, {@code 3.0} and {@code "3"} are fine.
   *
   * @throws ConfigException.WrongType for a number with a fraction, naming the value's origin
   */
  static long getWhole(Config config, String path) {
    Number number = config.getNumber(path);
    if (number instanceof Double value && value % 1 != 0) {
      throw new ConfigException.WrongType(config.getValue(path).origin(), path, "whole number",
          "number " + config.getValue(path).unwrapped());
    }
    return number.longValue();
  }
}
