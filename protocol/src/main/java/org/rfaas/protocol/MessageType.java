package org.rfaas.protocol;

import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;

/** The type byte of every rFaaS message. Codes are stable: they travel on the wire. */
public enum MessageType {
    /** Client → executor worker: invoke a function ({@link InvocationHeader}). */
    INVOKE(1),
    /** Executor worker → client: the result of one invocation ({@link ReplyHeader}). */
    REPLY(2),
    /** Executor worker → client: the executor is going away ({@link ReplyHeader} with id 0). */
    NOTICE(3),
    /** Executor worker → client, first message on a worker connection ({@link WorkerHello}). */
    WORKER_HELLO(4),
    /** Client → executor manager ({@link AllocationRequest}). */
    ALLOCATION_REQUEST(16),
    /** Executor manager → client ({@link AllocationResponse}). */
    ALLOCATION_RESPONSE(17),
    /** Client → executor manager: a piece of the function package ({@link PackageChunk}). */
    PACKAGE_CHUNK(18),
    /** Executor manager → client: request or chunk received ({@link PackageAck}). */
    PACKAGE_ACK(19),
    /** Client → executor manager: end my lease ({@link ReleaseRequest}). */
    RELEASE(20),
    /** Executor manager → client: the lease ended, with its accounting ({@link LeaseEnded}). */
    LEASE_ENDED(21),
    /** Executor → its manager, first message on the accounting connection ({@link ExecutorHello}). */
    EXECUTOR_HELLO(32),
    /** Executor manager → executor: stop serving ({@link ExecutorShutdown}). */
    EXECUTOR_SHUTDOWN(33),
    /** Executor manager → spare executor: serve this lease ({@link ExecutorAssignment}). */
    EXECUTOR_ASSIGNMENT(34),
    /** Executor → its manager: every worker is connected to the client ({@link ExecutorReady}). */
    EXECUTOR_READY(35);

    private static final MessageType[] BY_CODE = new MessageType[256];

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    /** The wire code (one unsigned byte). */
    public int code() {
        return code;
    }

    /**
     * The type for a wire code.
     *
     * @throws ProtocolException ({@link ProtocolError#BAD_TYPE}) for an unknown code
     */
    public static MessageType ofCode(int code) {
        MessageType t = code >= 0 && code < 256 ? BY_CODE[code] : null;
        if (t == null) {
            throw new ProtocolException(ProtocolError.BAD_TYPE, "unknown message type " + code);
        }
        return t;
    }
}
