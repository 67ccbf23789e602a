package org.rfaas.function;

/** The rules a function name follows, shared by the executor (which checks) and clients. */
public final class FunctionNames {
    private FunctionNames() {
    }

    /** Longest function name in bytes; names travel in the worker hello and native symbol tables. */
    public static final int MAX_LENGTH = 128;

    /** {@code true} when {@code name} is 1 to {@value #MAX_LENGTH} characters of {@code [A-Za-z0-9_.-]}. */
    public static boolean isValid(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks {@code name}.
     *
     * @throws IllegalArgumentException naming the rule that {@code name} breaks
     */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("invalid function name '" + name + "': use 1.." + MAX_LENGTH
                    + " characters of [A-Za-z0-9_.-]");
        }
        return name;
    }
}
