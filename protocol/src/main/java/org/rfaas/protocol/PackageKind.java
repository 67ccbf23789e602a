package org.rfaas.protocol;

/** What a function package is. Codes travel on the wire. */
public enum PackageKind {
    /** A JAR of {@code org.rfaas.function.FaasFunction} implementations listed as services. */
    JAR(1),
    /** A shared library exporting {@code uint32_t name(void* in, uint32_t in_size, void* out)}. */
    NATIVE(2);

    private final int code;

    PackageKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind for a wire code, or {@code null}. */
    public static PackageKind ofCode(int code) {
        for (PackageKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
