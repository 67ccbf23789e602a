package org.rfaas.sebs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.rfaas.function.FaasFunction;

/**
 * {@code thumbnail}: the SeBS thumbnailer (210.thumbnailer). Input: a {@link ThumbnailRequest}
 * header and a JPEG or PNG image; output: the thumbnail, encoded as the header asks.
 */
public final class Thumbnailer implements FaasFunction {
    @Override
    public String name() {
        return "thumbnail";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        ThumbnailRequest request = ThumbnailRequest.decode(input);
        byte[] thumb;
        try {
            thumb = Thumbnails.make(new SegmentInputStream(input.asSlice(ThumbnailRequest.HEADER)), request);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a thumbnail: " + e.getMessage(), e);
        }
        if (thumb.length > output.byteSize()) {
            throw new IllegalArgumentException("the thumbnail has " + thumb.length + " bytes, the output capacity is "
                    + output.byteSize());
        }
        MemorySegment.copy(thumb, 0, output, ValueLayout.JAVA_BYTE, 0, thumb.length);
        return thumb.length;
    }

    /** Reads the input slot in place (no copy of the image into a byte array first). */
    private static final class SegmentInputStream extends InputStream {
        private final MemorySegment segment;
        private long position;

        SegmentInputStream(MemorySegment segment) {
            this.segment = segment;
        }

        @Override
        public int read() {
            return position < segment.byteSize() ? segment.get(ValueLayout.JAVA_BYTE, position++) & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            long left = segment.byteSize() - position;
            if (left <= 0) {
                return len == 0 ? 0 : -1;
            }
            int n = (int) Math.min(len, left);
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, segment.byteSize() - position);
        }
    }
}
