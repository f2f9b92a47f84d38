package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The record {@code rerun} reads of an ended job, as {@link JobFiles} writes and reads it. */
final class JobFilesTest {

  @Test
  void jobRecord_writtenBeforeRecordsKeptTheCode_readsAsNoCode() throws Exception {
    String old = "{\"spec\":\"name = a\",\"sourceName\":\"a.conf\",\"baseDir\":\"/tmp\",\"keys\":null}";

    JobFiles.JobRecord record = Json.mapper().readValue(old, JobFiles.JobRecord.class);

    assertEquals("name = a", record.spec());
    assertNull(record.code());
  }

  @Test
  void jobRecord_ofAJobThatBroughtCode_keepsItsHash() throws Exception {
    JobFiles.JobRecord record = new JobFiles.JobRecord("name = a", "a.conf", "/tmp", List.of("k"), "ab".repeat(32));

    JobFiles.JobRecord read = Json.mapper().readValue(Json.mapper().writeValueAsBytes(record),
        JobFiles.JobRecord.class);

    assertEquals(record, read);
  }
}
