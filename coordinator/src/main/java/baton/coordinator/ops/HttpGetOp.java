package baton.coordinator.ops;

import baton.protocol.op.IoContext;
import baton.protocol.op.IoOp;
import baton.protocol.op.Op;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpParams;
import baton.protocol.op.OpProvider;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code http-get { timeout, max-redirects }}: the payload becomes the body of {@code GET <key>}. The request is
 * asynchronous; a status of 400 or more, a bad URL, a timeout or an address that {@code baton.io.http.allow} refuses
 * (checked before every request, redirects included) fails the item.
 */
public final class HttpGetOp implements OpProvider {

  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

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
    return Set.of("timeout", "max-redirects");
  }

  @Override
  public Op create(OpParams params) {
    Duration timeout = params.getDuration("timeout", Duration.ofMillis(1), Duration.ofHours(1));
    int maxRedirects = params.getInt("max-redirects", 0, 20);
    return (IoOp) (key, payload, context) -> {
      URI url;
      try {
        url = uri(key.strip(), key);
      } catch (IllegalArgumentException e) {
        return CompletableFuture.failedFuture(e);
      }
      return new Fetch(key, timeout, maxRedirects, context).get(url, 0);
    };
  }

  /** One item's request and the redirects it follows, each to an address checked first. */
  private record Fetch(String key, Duration timeout, int maxRedirects, IoContext context) {

    CompletionStage<byte[]> get(URI url, int redirects) {
      HttpRequest request;
      try {
        request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
      } catch (IllegalArgumentException e) {
        return CompletableFuture.failedFuture(e);
      }
      return context.checkHttp(url)
          .thenCompose(allowed -> context.http().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
              .exceptionally(error -> {
                throw new CompletionException(IoFailures.describe(url, timeout, error));
              }))
          .thenCompose(response -> {
            Optional<String> location = response.headers().firstValue("Location");
            if (REDIRECTS.contains(response.statusCode()) && location.isPresent()) {
              if (redirects == maxRedirects) {
                throw new IllegalStateException("more than max-redirects = " + maxRedirects + " redirects from " + key);
              }
              return get(next(url, location.get()), redirects + 1);
            }
            if (response.statusCode() >= 400) {
              throw new IllegalStateException("HTTP " + response.statusCode() + " from " + url);
            }
            return CompletableFuture.completedFuture(response.body());
          });
    }

    private URI next(URI from, String location) {
      try {
        return uri(from.resolve(location.strip()).toString(), location);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("bad redirect from " + from + " to " + location, e);
      }
    }
  }

  private static URI uri(String text, String key) {
    URI uri = URI.create(text);
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("not an http or https URL: " + key);
    }
    return uri;
  }
}
