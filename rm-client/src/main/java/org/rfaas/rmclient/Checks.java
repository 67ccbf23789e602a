package org.rfaas.rmclient;

/** Argument checks shared by the DTOs; the messages reach HTTP callers as 400 answers. */
final class Checks {
    private Checks() {
    }

    static String name(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (value.length() > 128) {
            throw new IllegalArgumentException(what + " is longer than 128 characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '@' || c == ':')) {
                throw new IllegalArgumentException(what + " '" + value + "' may only contain letters, digits and - _ . @ :");
            }
        }
        return value;
    }

    static int positive(String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
        return value;
    }

    static long positive(String what, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
        return value;
    }

    static long nonNegative(String what, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must not be negative, got " + value);
        }
        return value;
    }

    /** The placement names a request may carry (null: the resource manager's configured policy). */
    static final java.util.Set<String> PLACEMENTS = java.util.Set.of("first-fit", "least-loaded", "pack", "spread");

    static String placement(String value) {
        if (value != null && !PLACEMENTS.contains(value)) {
            throw new IllegalArgumentException("placement must be one of first-fit, least-loaded, pack, spread, got '"
                    + value + "'");
        }
        return value;
    }
}
