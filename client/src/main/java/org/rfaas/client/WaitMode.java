package org.rfaas.client;

/** How a blocking call waits for its reply on the client side. */
public enum WaitMode {
    /** Spin on the completion: lowest latency, costs a client core while waiting. */
    HOT,
    /** Sleep in the transport until the reply arrives: a few microseconds more, no spinning. */
    WARM
}
