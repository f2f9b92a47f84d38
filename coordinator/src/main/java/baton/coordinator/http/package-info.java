/** The coordinator's HTTP API: JSON over Pekko HTTP, the only way in for the command line. */
package baton.coordinator.http;
