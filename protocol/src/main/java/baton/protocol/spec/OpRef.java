package baton.protocol.spec;

import baton.protocol.wire.CborSerializable;

/**
 * Names one stage's op and its parameters (rendered as JSON), so that a worker anywhere in the cluster can make the
 * same op the coordinator checked.
 */
public record OpRef(String name, String params) implements CborSerializable {
}
