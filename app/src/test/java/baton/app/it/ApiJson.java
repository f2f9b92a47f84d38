package baton.app.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** Reading the coordinator's API answers in the process tests. */
final class ApiJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ApiJson() {
  }

  /** The answer as JSON; an empty object when it is not JSON (a polled answer may be an error page). */
  static JsonNode read(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      return JSON.createObjectNode();
    }
  }

  /** The items a job's status counts for the node at {@code address}, 0 when it names none. */
  static long nodeItems(JsonNode job, String address) {
    for (JsonNode node : job.path("nodes")) {
      if (node.path("address").asText().equals(address)) {
        return node.path("items").asLong();
      }
    }
    return 0;
  }

  /** The addresses of the members that pull work from the dispatcher, from {@code /api/nodes}. */
  static List<String> pulling(String body) {
    List<String> addresses = new ArrayList<>();
    for (JsonNode member : read(body)) {
      if (member.path("workers").asInt() > 0) {
        addresses.add(member.path("address").asText());
      }
    }
    return addresses;
  }
}
