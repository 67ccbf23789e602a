package org.rfaas.demo.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.rfaas.testbed.HostProcess;

/** Drives a {@link ClusterApp} process (started by the caller, e.g. in a namespace host) one command at a time. */
public final class AppDriver implements AutoCloseable {
    private final Process process;
    private final PrintWriter in;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
    /** {@link System#nanoTime()} when the line last returned by {@link #next} arrived. */
    private volatile long lastArrivalNanos;

    /** Reads {@code process}'s output on a daemon thread; {@code stderr} is where its error output goes. */
    public AppDriver(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    arrivals.add(System.nanoTime());
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
            arrivals.add(System.nanoTime());
            lines.add("= error ClientExited");
        }, "cluster-client-reader");
        reader.setDaemon(true);
        reader.start();
    }

    public void awaitReady() throws Exception {
        String l = lines.poll(60, TimeUnit.SECONDS);
        arrivals.poll();
        if (!"# ready".equals(l)) {
            throw new IllegalStateException("client did not start (" + l + "): " + HostProcess.tail(stderr, 40));
        }
    }

    /** Sends a command without waiting for its answer. */
    public void send(String command) {
        in.println(command);
    }

    /** The next line starting with {@code prefix} (others are skipped), or a TimeoutException. */
    public String next(String prefix, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (l == null) {
                throw new TimeoutException("no \"" + prefix + "\" line from the client in " + timeout);
            }
            lastArrivalNanos = arrivals.take();
            if (l.startsWith(prefix)) {
                return l;
            }
        }
    }

    /** Sends a command and returns its answer without the {@code "= "} prefix. */
    public String call(String command) throws InterruptedException, TimeoutException {
        send(command);
        return next("= ", Duration.ofSeconds(90)).substring(2);
    }

    /** Sends a command that must succeed; returns the words after {@code ok}. */
    public String[] ok(String command) throws InterruptedException, TimeoutException {
        String a = call(command);
        if (!a.startsWith("ok")) {
            throw new IllegalStateException(command + " -> " + a + "\nclient stderr:\n" + HostProcess.tail(stderr, 40));
        }
        return a.substring(2).strip().split(" ");
    }

    /** {@link System#nanoTime()} when the line last returned by {@link #next} arrived. */
    public long lastArrivalNanos() {
        return lastArrivalNanos;
    }

    @Override
    public void close() {
        in.close();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
