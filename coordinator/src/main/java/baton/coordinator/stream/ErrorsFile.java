package baton.coordinator.stream;

import baton.coordinator.api.FailurePage;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The format of a job's errors file, one line per failed item: {@code KEY<TAB>STAGE<TAB>OP<TAB>ATTEMPTS<TAB>REASON},
 * in UTF-8, with backslash, tab, CR and LF in the key and the reason written as {@code \\}, {@code \t}, {@code \r}
 * and {@code \n} (as in the output file). The output writer appends the lines; {@link #read} pages through them.
 */
public final class ErrorsFile {

  private ErrorsFile() {
  }

  /** The line of one failed item, {@code op} being the name of the op of the stage it failed in. */
  static String line(Outcome.Failed failed, String op) {
    return OutputWriter.OutputLine.escape(failed.key()) + '\t' + failed.stage() + '\t' + op + '\t'
        + failed.attempts() + '\t' + OutputWriter.OutputLine.escape(failed.reason() == null ? "" : failed.reason())
        + '\n';
  }

  /**
   * Appends the lines of these failed items, {@code ops} being the op of each stage by index - 1: for the items a
   * stopped stream reported as failed but did not bring to the output writer.
   */
  public static void append(Path file, List<Outcome.Failed> failed, List<String> ops) throws IOException {
    StringBuilder lines = new StringBuilder();
    for (Outcome.Failed item : failed) {
      lines.append(line(item, ops.get(item.stage() - 1)));
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /**
   * The failed items from the {@code offset}-th (0-based) on, at most {@code limit} of them, and how many the file
   * holds. A file that does not exist holds none; a last line still being written is not counted yet.
   */
  public static FailurePage read(Path file, long offset, int limit) throws IOException {
    List<FailurePage.FailedItem> items = new ArrayList<>();
    long total = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        boolean wanted = total >= offset && total - offset < limit;
        if (b != '\n') {
          if (wanted) {
            line.write(b);
          }
          continue;
        }
        if (wanted) {
          items.add(parse(line.toString(StandardCharsets.UTF_8)));
          line.reset();
        }
        total++;
      }
    } catch (NoSuchFileException e) {
      return new FailurePage(0, offset, List.of());
    }
    return new FailurePage(total, offset, List.copyOf(items));
  }

  /** The keys of every failed item in the file, in its order; none when it does not exist. */
  public static List<String> keys(Path file) throws IOException {
    FailurePage all = read(file, 0, Integer.MAX_VALUE);
    return all.items().stream().map(FailurePage.FailedItem::key).toList();
  }

  private static FailurePage.FailedItem parse(String line) {
    String[] fields = line.split("\t", 5);
    if (fields.length < 5) {
      // Not a line this writer wrote (the file was edited): shown as it is rather than dropped.
      return new FailurePage.FailedItem(unescape(line), 0, "", 0, "not a line of an errors file");
    }
    return new FailurePage.FailedItem(unescape(fields[0]), toInt(fields[1]), fields[2], toInt(fields[3]),
        unescape(fields[4]));
  }

  private static int toInt(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Undoes the escapes of {@code OutputLine.escape}. */
  static String unescape(String text) {
    if (text.indexOf('\\') < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\\' || i + 1 == text.length()) {
        out.append(c);
        continue;
      }
      char next = text.charAt(++i);
      out.append(switch (next) {
        case 't' -> '\t';
        case 'r' -> '\r';
        case 'n' -> '\n';
        default -> next;
      });
    }
    return out.toString();
  }
}
