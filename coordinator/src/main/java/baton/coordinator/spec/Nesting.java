package baton.coordinator.spec;

/**
 * Measures how deep a HOCON text nests before Typesafe Config parses it: its parser recurses once per level, so a
 * few kilobytes of {@code [[[[} or {@code a.a.a.a = 1} would overflow the stack. Objects, lists and each dot of a
 * dotted key count one level; quoted strings and comments count nothing.
 */
final class Nesting {

  private Nesting() {
  }

  /** The 1-based line where the text first nests deeper than {@code max}, or 0 when it never does. */
  static int lineTooDeep(String text, int max) {
    int[] opened = new int[max + 2];
    int open = 0;
    int depth = 0;
    int dots = 0;
    int line = 1;
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (c == '"') {
        if (text.startsWith("\"\"\"", i)) {
          int end = text.indexOf("\"\"\"", i + 3);
          end = end < 0 ? n : end + 3;
          line += count(text, i, end, '\n');
          i = end;
        } else {
          i = endOfQuoted(text, i + 1);
        }
        continue;
      }
      if (c == '#' || (c == '/' && text.startsWith("//", i))) {
        int end = text.indexOf('\n', i);
        i = end < 0 ? n : end;
        continue;
      }
      switch (c) {
        case '\n' -> {
          line++;
          dots = 0;
        }
        case ',', '=', ':' -> dots = 0;
        case '.' -> {
          dots++;
          if (depth + dots > max) {
            return line;
          }
        }
        case '{', '[' -> {
          int levels = dots + 1;
          depth += levels;
          dots = 0;
          if (depth > max) {
            return line;
          }
          opened[open++] = levels;
        }
        case '}', ']' -> {
          if (open > 0) {
            depth -= opened[--open];
          }
          dots = 0;
        }
        default -> {
        }
      }
      i++;
    }
    return 0;
  }

  private static int endOfQuoted(String text, int from) {
    int i = from;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '\\') {
        i += 2;
      } else if (c == '"') {
        return i + 1;
      } else if (c == '\n') {
        // An unterminated string: the parser will say so; keep counting lines from here.
        return i;
      } else {
        i++;
      }
    }
    return text.length();
  }

  private static int count(String text, int from, int to, char wanted) {
    int found = 0;
    for (int i = from; i < to; i++) {
      if (text.charAt(i) == wanted) {
        found++;
      }
    }
    return found;
  }
}
