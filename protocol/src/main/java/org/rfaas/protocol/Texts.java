package org.rfaas.protocol;

import java.nio.charset.StandardCharsets;

/** Text helpers for messages that carry human-readable strings. */
public final class Texts {
    private Texts() {
    }

    /** {@code text} cut so that its UTF-8 form has at most {@code maxBytes} bytes; "" for null. */
    public static String truncate(String text, int maxBytes) {
        if (text == null) {
            return "";
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= maxBytes) {
            return text;
        }
        int end = maxBytes;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
}
