package baton.app;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import scala.concurrent.Future;

/**
 * The snapshot store of {@code baton run}, whose journal is Pekko's in-memory one: snapshots live as long as the
 * process, as the events do. Pekko has no in-memory snapshot store outside its test kit, and its local one writes
 * files. The plugin is an actor: every call comes from its own message handling, so the map needs no guard.
 */
public final class MemorySnapshotStore extends SnapshotStore {

  // Each persistence id's snapshots, oldest (lowest sequence number) first.
  private final Map<String, List<SelectedSnapshot>> snapshots = new HashMap<>();

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    List<SelectedSnapshot> kept = snapshots.getOrDefault(persistenceId, List.of());
    Optional<SelectedSnapshot> newest = Optional.empty();
    for (SelectedSnapshot snapshot : kept) {
      if (matches(criteria, snapshot.metadata())) {
        newest = Optional.of(snapshot);
      }
    }
    return Futures.successful(newest);
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    List<SelectedSnapshot> kept = snapshots.computeIfAbsent(metadata.persistenceId(), id -> new ArrayList<>());
    kept.removeIf(old -> old.metadata().sequenceNr() == metadata.sequenceNr());
    int at = 0;
    while (at < kept.size() && kept.get(at).metadata().sequenceNr() < metadata.sequenceNr()) {
      at++;
    }
    kept.add(at, SelectedSnapshot.create(metadata, snapshot));
    return Futures.successful(null);
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    forget(metadata.persistenceId(), snapshot -> snapshot.sequenceNr() == metadata.sequenceNr()
        && (metadata.timestamp() == 0 || snapshot.timestamp() == metadata.timestamp()));
    return Futures.successful(null);
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    forget(persistenceId, snapshot -> matches(criteria, snapshot));
    return Futures.successful(null);
  }

  private void forget(String persistenceId, Predicate<SnapshotMetadata> which) {
    List<SelectedSnapshot> kept = snapshots.get(persistenceId);
    if (kept != null) {
      kept.removeIf(snapshot -> which.test(snapshot.metadata()));
      if (kept.isEmpty()) {
        snapshots.remove(persistenceId);
      }
    }
  }

  private static boolean matches(SnapshotSelectionCriteria criteria, SnapshotMetadata metadata) {
    return metadata.sequenceNr() >= criteria.minSequenceNr() && metadata.sequenceNr() <= criteria.maxSequenceNr()
        && metadata.timestamp() >= criteria.minTimestamp() && metadata.timestamp() <= criteria.maxTimestamp();
  }
}
