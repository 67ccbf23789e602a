package org.rfaas.benchmarks.demo;

import org.rfaas.benchmarks.common.LatencyStats;
import org.rfaas.benchmarks.invoke.LocalNode;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.LeaseSource;
import org.rfaas.client.RfaasClient;
import org.rfaas.protocol.LeaseAccounting;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the demo's stages share: the work directory, the node, where leases come from, the client,
 * the packages, and the results the final table prints. A stage added later (a resource manager
 * that grants the leases, a billing summary) reads and replaces these fields.
 */
public final class DemoContext {
    /** One line of the latency table. */
    public record Measurement(String packageKind, String function, String kind, LatencyStats stats) {
    }

    /** The accounting of one lease, as its executor manager reported it at release. */
    public record LeaseBill(String packageKind, long leaseId, LeaseAccounting accounting) {
    }

    final Path workDir;
    final PrintStream out;
    final String transport;
    /** Cleanups, run in reverse order at the end whatever happened. */
    final List<AutoCloseable> resources = new ArrayList<>();
    LocalNode node;
    /** Where leases come from: the node's executors database unless a stage replaces it. */
    LeaseSource leases;
    RfaasClient client;
    /** Packages to ship, by kind ({@code java}, {@code native}). */
    final Map<String, FunctionPackage> packages = new LinkedHashMap<>();
    final List<Measurement> measurements = new ArrayList<>();
    final List<LeaseBill> bills = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    DemoContext(Path workDir, PrintStream out, String transport) {
        this.workDir = workDir;
        this.out = out;
        this.transport = transport;
    }

    /** Registers something to close at the end (reverse order). */
    public <T extends AutoCloseable> T own(T resource) {
        resources.add(resource);
        return resource;
    }

    /** The running node. */
    public LocalNode node() {
        return node;
    }

    /** Where leases come from. */
    public LeaseSource leases() {
        return leases;
    }

    /** Replaces the lease source (before the client is built). */
    public void leases(LeaseSource source) {
        this.leases = source;
    }

    /** The accounting of every lease released so far. */
    public List<LeaseBill> bills() {
        return bills;
    }

    /** Adds a line printed under the table. */
    public void note(String line) {
        notes.add(line);
    }

    /** Where the demo prints. */
    public PrintStream out() {
        return out;
    }

    /** The demo's private work directory. */
    public Path workDir() {
        return workDir;
    }
}
