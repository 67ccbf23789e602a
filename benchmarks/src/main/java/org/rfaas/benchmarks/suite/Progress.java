package org.rfaas.benchmarks.suite;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on stderr (stdout stays clean for the table), one step per measurement. */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    /** A bar of {@code steps} steps, or a silent one when {@code enabled} is false (tests). */
    public Progress(String task, long steps, boolean enabled) {
        bar = enabled
                ? new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setStyle(ProgressBarStyle.ASCII)
                        .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250)
                        .continuousUpdate().build()
                : null;
    }

    /** Shows what is being measured now. */
    public void doing(String what) {
        if (bar != null) {
            bar.setExtraMessage(what);
        }
    }

    /** One measurement done. */
    public void step() {
        if (bar != null) {
            bar.step();
        }
    }

    /** Adds steps discovered late. */
    public void grow(long steps) {
        if (bar != null) {
            bar.maxHint(bar.getMax() + steps);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
