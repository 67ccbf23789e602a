package org.rfaas.sebs;

import java.io.IOException;
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
}
