package baton.coordinator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import baton.protocol.op.IoRoots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class GlobTest {

  @TempDir
  Path dir;

  private Path a;
  private Path b;
  private Path deep;

  @BeforeEach
  void files() throws IOException {
    Files.createDirectories(dir.resolve("data/sub/deeper"));
    b = Files.writeString(dir.resolve("data/b.txt"), "b");
    a = Files.writeString(dir.resolve("data/a.txt"), "a");
    Files.writeString(dir.resolve("data/c.bin"), "c");
    deep = Files.writeString(dir.resolve("data/sub/deeper/d.txt"), "d");
    Files.writeString(dir.resolve("top.txt"), "t");
  }

  @Test
  void expand_starInOneFolder_matchesThatFolderOnlySorted() throws IOException {
    assertEquals(List.of(a, b), Glob.expand(dir, "data/*.txt", IoRoots.of(List.of(dir))));
  }

  @Test
  void expand_doubleStar_crossesFolders() throws IOException {
    assertEquals(List.of(a, b, deep), Glob.expand(dir, "data/**.txt", IoRoots.of(List.of(dir))));
  }

  @Test
  void expand_questionMarkAndBraces_matchOneCharAndAlternatives() throws IOException {
    assertEquals(List.of(a, b), Glob.expand(dir, "data/?.txt", IoRoots.of(List.of(dir))));
    assertEquals(List.of(b), Glob.expand(dir, "data/{b,x}.txt", IoRoots.of(List.of(dir))));
  }

  @Test
  void expand_plainPathOfAFile_isThatFile() throws IOException {
    assertEquals(List.of(a), Glob.expand(dir, "data/a.txt", IoRoots.of(List.of(dir))));
  }

  @Test
  void expand_plainPathOfAFolder_matchesNothing() throws IOException {
    assertEquals(List.of(), Glob.expand(dir, "data", IoRoots.of(List.of(dir))));
  }

  @Test
  void expand_missingFolder_matchesNothing() throws IOException {
    assertEquals(List.of(), Glob.expand(dir, "nowhere/*.txt", IoRoots.of(List.of(dir))));
  }

  @Test
  void expand_parentSegments_areNormalized() throws IOException {
    assertEquals(List.of(a, b), Glob.expand(dir.resolve("data/sub"), "../*.txt", IoRoots.of(List.of(dir))));
  }

  @Test
  void expand_absoluteGlob_ignoresBaseDir() throws IOException {
    assertEquals(List.of(a, b), Glob.expand(dir.resolve("data/sub"), dir.resolve("data") + "/*.txt", IoRoots.of(List.of(dir))));
  }

  @Test
  void expand_folderNamesMatchingGlob_areNotReturned() throws IOException {
    Files.createDirectories(dir.resolve("data/folder.txt"));

    assertEquals(List.of(a, b), Glob.expand(dir, "data/*.txt", IoRoots.of(List.of(dir))));
  }
}
