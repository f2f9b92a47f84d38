package baton.coordinator.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The one JSON mapper of the command line. */
final class Json {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {
  }

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  static ObjectMapper mapper() {
    return MAPPER;
  }
}
