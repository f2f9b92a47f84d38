/** The built-in io ops: read-file, write-file, http-get and delay. None of them blocks a stream thread. */
package baton.coordinator.ops;
