/**
 * The messages that cross the cluster between the coordinator's dispatcher and the nodes' worker pools: batches of
 * items out, results and pulls for more back, and the receptionist keys they find each other by. Every one is
 * {@link baton.protocol.wire.CborSerializable}, serialized with Jackson CBOR.
 */
package baton.protocol.wire;
