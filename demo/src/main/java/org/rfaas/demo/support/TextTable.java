package org.rfaas.demo.support;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table for terminal output: a header, rows of cells, columns padded to their widest
 * cell. Columns listed as right-aligned (numbers) are padded on the left.
 */
public final class TextTable {
    private final List<String> header;
    private final boolean[] rightAligned;
    private final List<List<String>> rows = new ArrayList<>();

    /**
     * @param header column titles
     * @param rightAlignedColumns indices of columns to right-align
     */
    public TextTable(List<String> header, int... rightAlignedColumns) {
        this.header = List.copyOf(header);
        this.rightAligned = new boolean[header.size()];
        for (int c : rightAlignedColumns) {
            rightAligned[c] = true;
        }
    }

    /** Adds a row; it must have one cell per column. */
    public TextTable add(List<String> cells) {
        if (cells.size() != header.size()) {
            throw new IllegalArgumentException("row has " + cells.size() + " cells, table has " + header.size() + " columns");
        }
        rows.add(List.copyOf(cells));
        return this;
    }

    /** The table, one line per row, ending with a newline. */
    public String render() {
        int[] width = new int[header.size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = header.get(c).length();
            for (List<String> r : rows) {
                width[c] = Math.max(width[c], r.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, width);
        for (int c = 0; c < width.length; c++) {
            sb.append(c == 0 ? "" : "  ").append("-".repeat(width[c]));
        }
        sb.append('\n');
        for (List<String> r : rows) {
            line(sb, r, width);
        }
        return sb.toString();
    }

    private void line(StringBuilder sb, List<String> cells, int[] width) {
        StringBuilder l = new StringBuilder();
        for (int c = 0; c < width.length; c++) {
            String v = cells.get(c);
            String pad = " ".repeat(width[c] - v.length());
            l.append(c == 0 ? "" : "  ").append(rightAligned[c] ? pad + v : v + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    /** Formats nanoseconds for humans: {@code 812 ns}, {@code 7.71 us}, {@code 1.23 ms}. */
    public static String ns(long ns) {
        if (ns < 0) {
            return "-";
        }
        if (ns < 10_000) {
            return ns + " ns";
        }
        if (ns < 10_000_000) {
            return String.format("%.1f us", ns / 1e3);
        }
        return String.format("%.2f ms", ns / 1e6);
    }

    /** Formats a byte count: {@code 8 B}, {@code 1 KiB}, {@code 64 KiB}, {@code 1 MiB}. */
    public static String bytes(long b) {
        if (b >= 1 << 20 && b % (1 << 20) == 0) {
            return (b >> 20) + " MiB";
        }
        if (b >= 1024 && b % 1024 == 0) {
            return (b >> 10) + " KiB";
        }
        return b + " B";
    }
}
