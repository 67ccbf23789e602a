package org.rfaas.benchmarks.common;

import java.io.Console;
import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress indicator on stderr, so stdout keeps only results: a redrawn bar (me.tongfei
 * progressbar) when stderr is a terminal, otherwise one plain {@code [i/n] step} line per step
 * (readable in CI logs). Close it before printing results.
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final PrintStream err = System.err;
    private final long max;
    private long done;
    private final long startNanos = System.nanoTime();

    private Progress(String task, long max, boolean interactive) {
        this.max = max;
        this.bar = interactive
                ? new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                        .setConsumer(new ConsoleProgressBarConsumer(err, 110)).setUpdateIntervalMillis(500)
                        .clearDisplayOnFinish().build()
                : null;
    }

    /** Starts a progress indicator for {@code max} steps. */
    public static Progress start(String task, long max) {
        Console c = System.console();
        return new Progress(task, max, c != null && c.isTerminal());
    }

    /** Announces the step about to run. */
    public void begin(String step) {
        if (bar != null) {
            bar.setExtraMessage(step);
        } else {
            err.printf("[%d/%d %.1fs] %s%n", done + 1, max, elapsedSeconds(), step);
            err.flush();
        }
    }

    /** Shows a status message that is not a step of its own (e.g. a start-up phase). */
    public void status(String message) {
        if (bar != null) {
            bar.setExtraMessage(message);
        } else {
            err.printf("[%.1fs] %s%n", elapsedSeconds(), message);
            err.flush();
        }
    }

    private double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Marks the current step done. */
    public void step() {
        done++;
        if (bar != null) {
            bar.step();
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
