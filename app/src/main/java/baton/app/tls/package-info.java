/**
 * Mutual TLS for a Baton cluster: a cluster CA and members' folders ({@code baton certs}), and what a process makes
 * of a member's folder (Artery's {@code tls-tcp}, the API's HTTPS, a client's trust in the cluster CA).
 */
package baton.app.tls;
