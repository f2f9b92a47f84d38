package baton.coordinator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The one JSON mapper of the HTTP API and the command line. */
public final class Json {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
