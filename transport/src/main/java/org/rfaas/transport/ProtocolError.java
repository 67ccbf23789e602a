package org.rfaas.transport;

/** Why a message from a peer was rejected. Codes are stable: they travel on the wire. */
public enum ProtocolError {
    /** The message does not start with the rFaaS magic number. */
    BAD_MAGIC(1),
    /** The protocol version is not one this build speaks. */
    BAD_VERSION(2),
    /** The message type is unknown or not allowed here. */
    BAD_TYPE(3),
    /** A length field is inconsistent with the message or with its type. */
    BAD_LENGTH(4),
    /** The message or its payload is larger than the receiver registered. */
    OVERSIZED(5),
    /** The stream ended in the middle of a message. */
    TRUNCATED(6),
    /** A slot or counter index is outside the receiver's spec. */
    BAD_INDEX(7),
    /** The connection handshake is malformed or announces an invalid spec. */
    BAD_HANDSHAKE(8),
    /** A field holds a value outside its allowed range. */
    BAD_FIELD(9);

    private final int code;

    ProtocolError(int code) {
        this.code = code;
    }

    /** The wire code. */
    public int code() {
        return code;
    }

    /** The error for a wire code, or {@link #BAD_FIELD} for an unknown one. */
    public static ProtocolError ofCode(int code) {
        for (ProtocolError e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return BAD_FIELD;
    }
}
