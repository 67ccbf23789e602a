package org.rfaas.client;

import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.Status;

/** Maps wire statuses and lease-end reasons to the client's typed exceptions. */
final class Statuses {
    private Statuses() {
    }

    static RfaasException toException(Status status, String function, String message) {
        String where = function == null ? "" : "function '" + function + "': ";
        return switch (status) {
            case OK -> throw new IllegalArgumentException("OK is not a failure");
            case UNKNOWN_FUNCTION -> new UnknownFunctionException(where + message);
            case INPUT_TOO_LARGE -> new InputTooLargeException(where + message);
            case OUTPUT_TOO_LARGE -> new OutputTooLargeException(where + message);
            case FUNCTION_FAILED -> new FunctionFailedException(where + "failed remotely: " + message, message);
            case SHUTTING_DOWN -> new ExecutorShutdownException(where + message);
            case LEASE_EXPIRED -> new LeaseExpiredException(where + message);
            case LEASE_REVOKED -> new LeaseRevokedException(where + message);
            case PROTOCOL_ERROR -> new InvocationProtocolException(where + "executor reported a protocol error: "
                    + message);
        };
    }

    static RfaasException toException(LeaseEndReason reason, long leaseId, String message) {
        String text = "lease " + leaseId + " ended (" + reason + ")" + (message.isEmpty() ? "" : ": " + message);
        return switch (reason) {
            case EXPIRED -> new LeaseExpiredException(text);
            case REVOKED -> new LeaseRevokedException(text);
            case EXECUTOR_DIED -> message.startsWith(MemoryLimitExceededException.MANAGER_DETAIL)
                    ? new MemoryLimitExceededException(text) : new ExecutorLostException(text);
            case CLIENT_LOST, ALLOCATION_FAILED -> new ExecutorLostException(text);
            case RELEASED, MANAGER_SHUTDOWN -> new ExecutorShutdownException(text);
        };
    }
}
