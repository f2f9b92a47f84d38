package baton.protocol.wire;

import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The coordinator tells a node that ran batches of a job that brought its code ({@code baton submit --classpath})
 * that the job has ended: the node drops the job's class loader. A node that misses it drops the loader once no
 * batch of the job has come for {@code baton.code.job-idle}.
 */
public record JobEnded(String jobId) implements CborSerializable {

  /** A node's cache of job code, found through the Receptionist by the coordinator's dispatcher. */
  public static final ServiceKey<JobEnded> NODE_CODE = ServiceKey.create(JobEnded.class, "baton-node-code");
}
