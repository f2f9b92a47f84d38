package baton.protocol.spec;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;

/** Turns HOCON origins into the {@code file:line: } prefix of Baton's error messages. */
public final class Origins {

  private Origins() {
  }

  public static String where(ConfigOrigin origin) {
    if (origin == null) {
      return "";
    }
    String description = origin.description();
    int line = origin.lineNumber();
    // The description ends with ": <line>" or carries no line; keep only the source name.
    String source = description.replaceFirst(": \\d+(-\\d+)?$", "").replaceFirst(" @ .*$", "");
    return line > 0 ? source + ":" + line + ": " : source + ": ";
  }

  /** The exception's message without the origin prefix that Typesafe Config puts in front of it. */
  public static String withoutOrigin(ConfigException e) {
    String message = e.getMessage();
    if (e.origin() != null) {
      String prefix = e.origin().description() + ": ";
      if (message.startsWith(prefix)) {
        return message.substring(prefix.length());
      }
    }
    return message;
  }
}
