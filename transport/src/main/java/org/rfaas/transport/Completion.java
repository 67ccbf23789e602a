package org.rfaas.transport;

/**
 * A receive completion: the peer wrote {@code length} bytes into local slot {@code slot} with
 * immediate {@code immediate}. Mutable and reused by the caller, so polling allocates nothing.
 */
public final class Completion {
    private int slot;
    private int length;
    private int immediate;

    /** Filled in by providers. */
    public void set(int slot, int length, int immediate) {
        this.slot = slot;
        this.length = length;
        this.immediate = immediate;
    }

    /** The local receive slot that holds the data. */
    public int slot() {
        return slot;
    }

    /** Bytes written into the slot. */
    public int length() {
        return length;
    }

    /** The 32-bit immediate value sent with the write. */
    public int immediate() {
        return immediate;
    }

    @Override
    public String toString() {
        return "Completion[slot=" + slot + ", length=" + length + ", immediate=0x" + Integer.toHexString(immediate) + "]";
    }
}
