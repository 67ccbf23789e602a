package org.rfaas.benchmarks.transport;

/** How both sides of a ping-pong wait for the next message. */
public enum Mode {
    /** Both processes busy-poll ({@code Connection.poll} in a spin loop): the rFaaS hot path. */
    HOT("hot", "both processes busy-poll (Connection.poll in a spin loop)"),
    /** Both processes sleep in the kernel until the message arrives ({@code Connection.await}): warm. */
    WARM("warm", "both processes sleep in the kernel until the message arrives (Connection.await)");

    private final String label;
    private final String meaning;

    Mode(String label, String meaning) {
        this.label = label;
        this.meaning = meaning;
    }

    /** {@code hot} or {@code warm}, as printed and written to JSON. */
    public String label() {
        return label;
    }

    /** One line saying what the mode measures. */
    public String meaning() {
        return meaning;
    }
}
