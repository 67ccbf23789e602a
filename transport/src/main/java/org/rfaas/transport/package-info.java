/**
 * The transport SPI: RDMA-like reliable connections between two processes.
 *
 * <p>Everything in rFaaS rides on one primitive: <em>write a small header plus a payload into a
 * registered receive slot of the peer, together with a 32-bit immediate value, and let the peer
 * find it by spinning (hot) or by sleeping on a kernel primitive (warm)</em>. A {@link
 * org.rfaas.transport.Connection} offers exactly that, plus a remote fetch-and-add on the peer's
 * registered 8-byte counters (used for accounting).
 *
 * <p>Semantics follow RDMA one-sided writes: a write into peer slot N overwrites whatever is there.
 * The layer above (the invocation protocol) decides which slots are free; the transport validates
 * that slot numbers and lengths are in range and never corrupts memory outside a slot.
 *
 * <p>Providers ({@code shm}, {@code tcp}, {@code fabric:<libfabric provider>}) are found with
 * {@link java.util.ServiceLoader} through {@link org.rfaas.transport.TransportProvider}; callers
 * open them by name through {@link org.rfaas.transport.Transports#open(String)} and never name a
 * provider class.
 */
package org.rfaas.transport;
