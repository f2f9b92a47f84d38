package baton.coordinator;

import baton.coordinator.stream.ErrorsFile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The files the coordinator keeps of each job beside its journal, in {@code <data-dir>/jobs/} (or, with the journal
 * in memory, a temporary folder removed when the coordinator stops): {@code <id>.failed.tsv}, the failed items of a
 * job whose spec names no {@code errors} file ({@link ErrorsFile}'s format), and {@code <id>.job.json}, what
 * {@code rerun} needs of an ended job's spec (with the journal in memory, the coordinator keeps that in memory). Only jobs the coordinator still knows keep them: the files of jobs
 * past {@code finished-jobs-kept} are deleted, so the folder holds at most that many jobs' files.
 */
final class JobFiles {

  private static final String ERRORS = ".failed.tsv";
  private static final String RECORD = ".job.json";

  /**
   * What {@code rerun} needs of a job: its spec as submitted, the keys it ran over when it was a rerun, and the hash
   * of the code bundle it brought ({@code baton submit --classpath}; null: none, also in a record written before
   * records kept it).
   */
  record JobRecord(String spec, String sourceName, String baseDir, List<String> keys, String code) {
  }

  private final Path dir;
  private final boolean temporary;

  private JobFiles(Path dir, boolean temporary) {
    this.dir = dir;
    this.temporary = temporary;
  }

  /** The folder of the coordinator {@code journalName} on {@code system}'s {@code baton.coordinator.data-dir}. */
  static JobFiles of(ActorSystem<?> system, String journalName) {
    String dataDir = system.settings().config().getString("baton.coordinator.data-dir");
    if (!dataDir.isEmpty()) {
      return new JobFiles(Path.of(dataDir).toAbsolutePath().normalize().resolve("jobs"), false);
    }
    // One per coordinator and actor system in this process, stable across restarts of the coordinator actor.
    String name = "baton-jobs-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(
        System.identityHashCode(system)) + "-" + journalName.replaceAll("[^A-Za-z0-9_-]", "_");
    return new JobFiles(Path.of(System.getProperty("java.io.tmpdir")).resolve(name), true);
  }

  /** Whether the folder goes with the coordinator (its journal is in memory). */
  boolean isTemporary() {
    return temporary;
  }

  /** Where the failed items of job {@code id} go when its spec names no errors file. */
  Path errors(String id) {
    return dir.resolve(id + ERRORS);
  }

  void writeRecord(String id, JobRecord record) throws IOException {
    // createDirectories of a folder that is there throws and catches an exception inside: not for every job.
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
    }
    Path file = dir.resolve(id + RECORD);
    Path partial = dir.resolve(id + RECORD + ".tmp");
    Files.write(partial, Json.mapper().writeValueAsBytes(record));
    Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  Optional<JobRecord> readRecord(String id) throws IOException {
    try {
      return Optional.of(Json.mapper().readValue(Files.readAllBytes(dir.resolve(id + RECORD)), JobRecord.class));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Deletes the files of these jobs. */
  void delete(Collection<String> ids) throws IOException {
    for (String id : ids) {
      Files.deleteIfExists(dir.resolve(id + ERRORS));
      Files.deleteIfExists(dir.resolve(id + RECORD));
    }
  }

  /** Deletes the files of every job not in {@code known}; answers how many it deleted. */
  int keepOnly(Set<String> known) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    List<Path> gone = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        String id = name.endsWith(ERRORS) ? name.substring(0, name.length() - ERRORS.length())
            : name.endsWith(RECORD) ? name.substring(0, name.length() - RECORD.length()) : null;
        if (id != null && !known.contains(id)) {
          gone.add(file);
        }
      }
    }
    for (Path file : gone) {
      Files.deleteIfExists(file);
    }
    return gone.size();
  }

  /** Removes a temporary folder (a coordinator with its journal in memory is stopping); keeps a data dir's. */
  void removeIfTemporary() throws IOException {
    if (!temporary || !Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
