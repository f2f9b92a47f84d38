package baton.protocol.op;

/** An op made by an {@link OpProvider} for one stage of one job: either a {@link CpuOp} or an {@link IoOp}. */
public sealed interface Op permits CpuOp, IoOp {
}
