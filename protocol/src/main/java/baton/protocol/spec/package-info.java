/**
 * The job spec model both sides share: the parsed {@link baton.protocol.spec.JobSpec}, the
 * {@link baton.protocol.spec.OpRef} a batch carries to name its op, and the {@link baton.protocol.spec.SpecException}
 * a bad spec or bad op parameter raises, with the helpers that point it at its place in the spec. The parser lives
 * with the coordinator that runs it ({@code baton.coordinator.spec}).
 */
package baton.protocol.spec;
