package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The ports the process-level tests hand to Baton processes. A port the kernel picked for a bind to port 0 lies in
 * its ephemeral range, which it also takes outgoing connections' local ports from: between the test choosing it and
 * the process binding it, a connection (a poll of the API, a node dialling out) may take it, and the process then
 * fails to start (CI saw a coordinator exit with "cannot start" once).
 */
final class FreePortTest {

  @Test
  void freePort_manyCalls_eachBindableDistinctAndBelowTheEphemeralRange() throws Exception {
    int ephemeralStart = BatonProcesses.ephemeralRangeStart();
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = BatonProcesses.freePort();
      assertTrue(port < ephemeralStart, port + " is in the kernel's ephemeral range, from " + ephemeralStart);
      assertTrue(seen.add(port), port + " was handed out twice");
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertEquals(port, socket.getLocalPort());
      }
    }
  }
}
