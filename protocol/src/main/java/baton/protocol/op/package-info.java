/**
 * The op SPI that built-in and user ops implement: an {@link baton.protocol.op.OpProvider} found by ServiceLoader
 * makes a cpu op (run on a node's workers) or an io op (run in the coordinator's stream, through an
 * {@link baton.protocol.op.IoContext}) from the parameters of a stage, which it reads through
 * {@link baton.protocol.op.OpParams}.
 */
package baton.protocol.op;
