package org.rfaas.transport;

/**
 * Service-provider interface of a transport implementation, registered in
 * {@code META-INF/services/org.rfaas.transport.TransportProvider}.
 */
public interface TransportProvider {

    /** The scheme this provider answers to: {@code shm}, {@code tcp} or {@code fabric}. */
    String scheme();

    /**
     * Opens the transport.
     *
     * @param variant the part of the transport name after {@code scheme:}, empty when there is
     *     none (for {@code fabric:verbs} it is {@code verbs})
     * @throws TransportException when the transport cannot run on this machine (for instance a
     *     native library is missing); the message says what to install
     */
    Transport open(String variant);
}
