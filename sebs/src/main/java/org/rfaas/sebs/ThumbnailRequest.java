package org.rfaas.sebs;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The thumbnailer's input: an 8-byte header with the arguments, then the image (JPEG or PNG).
 *
 * <pre>
 *  0: u16 max width (1..4096)   2: u16 max height (1..4096)
 *  4: u8 format (1 JPEG, 2 PNG) 5: u8 JPEG quality (1..100; 0: 85)   6: u16 reserved, 0
 *  8: image bytes ...
 * </pre>
 *
 * @param maxWidth the thumbnail's largest width (the aspect ratio is kept)
 * @param maxHeight the thumbnail's largest height
 * @param format what the thumbnail is encoded as
 * @param quality JPEG quality in percent (ignored for PNG)
 */
public record ThumbnailRequest(int maxWidth, int maxHeight, Format format, int quality) {
    /** Header bytes; the image follows. */
    public static final int HEADER = 8;
    /** Largest thumbnail side. */
    public static final int MAX_SIDE = 4096;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Thumbnail encodings. */
    public enum Format {
        JPEG(1, "jpeg"), PNG(2, "png");

        final int code;
        final String imageIoName;

        Format(int code, String imageIoName) {
            this.code = code;
            this.imageIoName = imageIoName;
        }
    }

    public ThumbnailRequest {
        if (maxWidth < 1 || maxWidth > MAX_SIDE || maxHeight < 1 || maxHeight > MAX_SIDE) {
            throw new IllegalArgumentException("thumbnail size " + maxWidth + "x" + maxHeight + " is outside 1.."
                    + MAX_SIDE);
        }
        if (format == null) {
            throw new IllegalArgumentException("no thumbnail format");
        }
        if (quality < 1 || quality > 100) {
            throw new IllegalArgumentException("JPEG quality " + quality + " is outside 1..100");
        }
    }

    /** The input for {@code image}: this header followed by the image bytes. */
    public byte[] encode(byte[] image) {
        byte[] in = new byte[HEADER + image.length];
        MemorySegment s = MemorySegment.ofArray(in);
        s.set(U16, 0, (short) maxWidth);
        s.set(U16, 2, (short) maxHeight);
        s.set(ValueLayout.JAVA_BYTE, 4, (byte) format.code);
        s.set(ValueLayout.JAVA_BYTE, 5, (byte) quality);
        System.arraycopy(image, 0, in, HEADER, image.length);
        return in;
    }

    /**
     * Reads and validates the header of {@code input}.
     *
     * @throws IllegalArgumentException naming the first bad field
     */
    public static ThumbnailRequest decode(MemorySegment input) {
        if (input.byteSize() <= HEADER) {
            throw new IllegalArgumentException("thumbnail input of " + input.byteSize() + " bytes has no image after its "
                    + HEADER + "-byte header");
        }
        int formatCode = input.get(ValueLayout.JAVA_BYTE, 4) & 0xff;
        Format format = null;
        for (Format f : Format.values()) {
            if (f.code == formatCode) {
                format = f;
            }
        }
        if (format == null) {
            throw new IllegalArgumentException("unknown thumbnail format " + formatCode);
        }
        if (input.get(U16, 6) != 0) {
            throw new IllegalArgumentException("reserved header field is not zero");
        }
        int quality = input.get(ValueLayout.JAVA_BYTE, 5) & 0xff;
        return new ThumbnailRequest(input.get(U16, 0) & 0xffff, input.get(U16, 2) & 0xffff, format,
                quality == 0 ? 85 : quality);
    }
}
