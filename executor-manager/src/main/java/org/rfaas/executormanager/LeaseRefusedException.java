package org.rfaas.executormanager;

import org.rfaas.protocol.AllocationRefusal;

/** A {@link LeaseAuthority} refused an allocation; the refusal code and message go to the client. */
public final class LeaseRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final AllocationRefusal refusal;

    public LeaseRefusedException(AllocationRefusal refusal, String message) {
        super(message);
        this.refusal = refusal;
    }

    public AllocationRefusal refusal() {
        return refusal;
    }
}
