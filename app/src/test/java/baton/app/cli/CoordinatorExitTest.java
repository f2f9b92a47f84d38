package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import baton.app.CoordinatorService;
import java.util.Optional;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.Test;

/** How a coordinator's end becomes its exit code: only a stop the user asked for is a success. */
final class CoordinatorExitTest {

  @Test
  void exitCode_downedByTheSplitBrainResolver_75ToBeStartedAgain() {
    assertEquals(75, CoordinatorCommand.exitCode(Optional.of(CoordinatedShutdown.clusterDowningReason())));
  }

  @Test
  void exitCode_journalDown_75() {
    assertEquals(75, CoordinatorCommand.exitCode(Optional.of(CoordinatorService.JournalUnreachable.INSTANCE)));
  }

  @Test
  void exitCode_sigtermOrCtrlC_0() {
    assertEquals(0, CoordinatorCommand.exitCode(Optional.of(CoordinatedShutdown.jvmExitReason())));
  }
}
