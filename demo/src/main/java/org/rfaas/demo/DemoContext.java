package org.rfaas.demo;

import org.rfaas.demo.support.LatencyStats;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.LeaseOffer;
import org.rfaas.client.LeaseSource;
import org.rfaas.client.RfaasClient;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.rmclient.BillingSummary;
import org.rfaas.resourcemanager.ResourceManager;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the demo's stages share: the work directory, the resource manager and its secrets, the
 * node, where leases come from, the client, the packages, and the results the final table prints.
 * A stage added later reads and replaces these fields.
 */
public final class DemoContext {
    /** The tenant the demo's leases are billed to. */
    public static final String TENANT = "demo";

    /** One line of the latency table. */
    public record Measurement(String packageKind, String function, String kind, LatencyStats stats) {
    }

    /** The accounting of one lease, as its executor manager reported it at release. */
    public record LeaseBill(String packageKind, String use, long leaseId, LeaseAccounting accounting) {
    }

    /**
     * One lease the demo used: granted by the resource manager, its token verified by the executor
     * manager before it spawned the executor {@code executorPid}.
     */
    public record LeaseUse(String packageKind, String use, long leaseId, String node, long executorPid,
            String tokenCheck) {
    }

    final Path workDir;
    final PrintStream out;
    final String transport;
    /** Cleanups, run in reverse order at the end whatever happened. */
    final List<AutoCloseable> resources = new ArrayList<>();
    ResourceManager resourceManager;
    String adminToken;
    /** The demo tenant's API key, made by the resource manager. */
    String tenantKey;
    String clusterSecret;
    DemoNode node;
    /** Where leases come from: the resource manager, through {@link #offers}. */
    LeaseSource leases;
    /** Every lease offer the client obtained, by lease id (the lease line of the table reads it). */
    final Map<Long, LeaseOffer> offers = new ConcurrentHashMap<>();
    RfaasClient client;
    /** Packages to ship, by kind ({@code java}, {@code native}). */
    final Map<String, FunctionPackage> packages = new LinkedHashMap<>();
    final List<Measurement> measurements = new ArrayList<>();
    final List<LeaseBill> bills = new ArrayList<>();
    final List<LeaseUse> leaseUses = new ArrayList<>();
    /** The billing read back from the resource manager at the end, or null. */
    BillingSummary billing;
    /** How long reading the billing back waited for the executor manager's reports. */
    Duration billingWait;
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

    /** The running resource manager (in this JVM). */
    public ResourceManager resourceManager() {
        return resourceManager;
    }

    /** The running node. */
    public DemoNode node() {
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
