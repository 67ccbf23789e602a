package org.rfaas.mpi;

/** An MPI call failed, or Open MPI could not be loaded. */
public final class MpiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** With a message. */
    public MpiException(String message) {
        super(message);
    }

    /** With a message and the cause. */
    public MpiException(String message, Throwable cause) {
        super(message, cause);
    }
}
