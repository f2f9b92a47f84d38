package baton.coordinator.ops;

import baton.protocol.IoOp;
import baton.protocol.Op;
import baton.protocol.OpKind;
import baton.protocol.OpParams;
import baton.protocol.OpProvider;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code http-get { timeout }}: the payload becomes the body of {@code GET <key>}. The request is asynchronous; a
 * status of 400 or more, a bad URL or a timeout fails the item.
 */
public final class HttpGetOp implements OpProvider {

  @Override
  public String name() {
    return "http-get";
  }

  @Override
  public OpKind kind() {
    return OpKind.IO;
  }

  @Override
  public Set<String> parameters() {
    return Set.of("timeout");
  }

  @Override
  public Op create(OpParams params) {
    Duration timeout = params.getDuration("timeout", Duration.ofMillis(1), Duration.ofHours(1));
    return (IoOp) (key, payload, context) -> {
      HttpRequest request;
      try {
        request = HttpRequest.newBuilder(uri(key)).timeout(timeout).GET().build();
      } catch (IllegalArgumentException e) {
        return CompletableFuture.failedFuture(e);
      }
      return context.http().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
        if (response.statusCode() >= 400) {
          throw new IllegalStateException("HTTP " + response.statusCode() + " from " + key);
        }
        return response.body();
      });
    };
  }

  private static URI uri(String key) {
    URI uri = URI.create(key.strip());
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("not an http or https URL: " + key);
    }
    return uri;
  }
}
