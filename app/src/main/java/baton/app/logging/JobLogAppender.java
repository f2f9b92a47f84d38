package baton.app.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes each job's lines to {@code <directory>/<job id>.log}, the job id taken from the MDC ({@code jobId}). One
 * appender and one encoder serve every job, and at most {@code maxOpenFiles} files stay open (the one written least
 * recently is closed first, and opened again to append when its job logs on). Logback's SiftingAppender, which this
 * replaces, built a whole file appender from its XML for every job (a tenth of the coordinator's time per tiny job)
 * and held each file open for 30 minutes, so many short jobs meant thousands of open files.
 */
public final class JobLogAppender extends AppenderBase<ILoggingEvent> {

  // Job ids are slugs; anything else (a path, say) in the MDC is no file name of ours.
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");

  private Encoder<ILoggingEvent> encoder;
  private String directory;
  private int maxOpenFiles = 32;
  // Least recently written first. AppenderBase calls append one event at a time.
  private final Map<String, OutputStream> open = new LinkedHashMap<>(16, 0.75f, true);

  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  public void setDirectory(String directory) {
    this.directory = directory;
  }

  public void setMaxOpenFiles(int maxOpenFiles) {
    this.maxOpenFiles = maxOpenFiles;
  }

  @Override
  public void start() {
    if (encoder == null || directory == null || maxOpenFiles < 1) {
      addError("JobLogAppender " + name + " needs an encoder, a directory and maxOpenFiles >= 1");
      return;
    }
    super.start();
  }

  @Override
  public void stop() {
    open.values().forEach(this::close);
    open.clear();
    super.stop();
  }

  @Override
  protected void append(ILoggingEvent event) {
    String job = event.getMDCPropertyMap().get("jobId");
    if (job == null || !FILE_NAME.matcher(job).matches()) {
      return;
    }
    byte[] line = encoder.encode(event);
    try {
      OutputStream out = open.get(job);
      if (out == null) {
        out = openFile(job);
      }
      out.write(line);
    } catch (IOException e) {
      addError("cannot write the log of job " + job + " in " + directory, e);
      OutputStream broken = open.remove(job);
      if (broken != null) {
        close(broken);
      }
    }
  }

  private OutputStream openFile(String job) throws IOException {
    if (open.size() >= maxOpenFiles) {
      var eldest = open.entrySet().iterator();
      close(eldest.next().getValue());
      eldest.remove();
    }
    Path file = Path.of(directory).resolve(job + ".log");
    OutputStream out;
    try {
      out = new FileOutputStream(file.toFile(), true);
    } catch (FileNotFoundException e) {
      // Only then the folder: createDirectories of one that is there throws and catches inside, for every job.
      Files.createDirectories(file.getParent());
      out = new FileOutputStream(file.toFile(), true);
    }
    open.put(job, out);
    return out;
  }

  private void close(OutputStream out) {
    try {
      out.close();
    } catch (IOException e) {
      addError("cannot close a job log in " + directory, e);
    }
  }
}
