/**
 * The messages that cross the cluster between the coordinator's dispatcher and the nodes' worker pools: batches of
 * items out, results and pulls for more back, and the receptionist keys they find each other by. Every one is
 * {@link baton.protocol.wire.CborSerializable}, serialized with Jackson CBOR, except the messages of every batch
 * ({@link baton.protocol.wire.WorkBatch}, {@link baton.protocol.wire.WorkResult}, {@link baton.protocol.wire.Pull},
 * {@link baton.protocol.wire.BatchStarted}), which {@link baton.protocol.wire.WireSerializer} lays out itself.
 */
package baton.protocol.wire;
