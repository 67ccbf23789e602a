package org.rfaas.client;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.LeaseEnded;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.PackageAck;
import org.rfaas.protocol.PackageChunk;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.HandshakeRehearsal;
import org.rfaas.transport.KernelRandom;
import org.rfaas.transport.Listener;
import org.rfaas.transport.SegmentKinds;
import org.rfaas.transport.ThreadPolicy;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the client library: takes leases and allocates executors.
 *
 * <pre>{@code
 * try (RfaasClient client = RfaasClient.builder().executorsDatabase(Path.of("executors.json")).build();
 *      RemoteExecutor executor = client.allocate(AllocationSpec.of(2, 512, HotTimeout.ofMicros(1000),
 *              FunctionPackage.jar(Path.of("functions.jar")), 4096, 4096))) {
 *     byte[] out = executor.invoke("echo", "hello".getBytes());
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} releases every executor this client allocated that is still
 * open, and the transports.
 */
public final class RfaasClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RfaasClient.class);
    private static final int MAX_CHUNK = 1 << 20;

    private final LeaseSource leaseSource;
    private final ListenAddresses listenAddresses;
    private final Duration connectTimeout;
    private final Duration allocationTimeout;
    private final boolean backgroundPoller;
    private final int warmUpCalls;
    private final int warmUpHandshakes;
    /** Transports whose invocation path {@link HotPathWarmup} warmed in this client. */
    private final Set<String> warmed = ConcurrentHashMap.newKeySet();
    /** {@link Builder#lowPriorityCompiler}: still to be done at the next allocation. */
    private final AtomicBoolean lowerCompiler;
    private final Map<String, Transport> transports = new ConcurrentHashMap<>();
    private final Set<RemoteExecutor> open = ConcurrentHashMap.newKeySet();
    /** A control connection per manager address whose lease ended, kept for the next allocation there. */
    private final IdlePool<String, ControlLink> idleControl = new IdlePool<>(() -> this.closed, ControlLink::close);
    /**
     * Listeners of allocations that succeeded, one per address and spec: the next such allocation
     * skips opening one (0.5-1 ms of a cold start). A kept listener may hold connections that arrive
     * late for a finished allocation: the next one drops them at their hello, which names another lease.
     */
    private final IdlePool<ListenerKey, Listener> idleListeners = new IdlePool<>(() -> this.closed, Listener::close);
    private final LeaseEventListener.Registration revocations;
    private volatile boolean closed;

    private RfaasClient(Builder b) {
        SegmentKinds.load(); // before the invocation path is compiled (see there)
        if (b.leaseSource == null) {
            throw new IllegalArgumentException("give the client an executors database or another lease source");
        }
        this.leaseSource = b.leaseSource;
        this.listenAddresses = new ListenAddresses(b.listenAddresses, b.listenHost);
        this.connectTimeout = b.connectTimeout;
        this.allocationTimeout = b.allocationTimeout;
        this.backgroundPoller = b.backgroundPoller;
        this.warmUpCalls = b.warmUpCalls;
        this.warmUpHandshakes = b.warmUpHandshakes;
        this.lowerCompiler = new AtomicBoolean(b.lowPriorityCompiler);
        this.revocations = leaseSource.subscribe(new LeaseEventListener() {
            @Override
            public void leaseRevoked(long leaseId, String node, String reason) {
                for (RemoteExecutor e : open) {
                    if (e.leaseId() == leaseId) {
                        e.revoke(reason);
                    }
                }
            }
        });
    }

    /** Where this client takes its leases from. */
    public LeaseSource leaseSource() {
        return leaseSource;
    }

    /**
     * Registers a listener for lease revocations and freed capacity pushed by the lease source
     * (the resource manager's event stream; an executors database pushes nothing). Executors of
     * a revoked lease already fail their calls with {@link LeaseRevokedException} when it is told.
     */
    public LeaseEventListener.Registration addLeaseListener(LeaseEventListener listener) {
        return leaseSource.subscribe(listener);
    }

    /** A builder; give it at least a lease source (e.g. {@link Builder#executorsDatabase(Path)}). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Allocates an executor: takes a lease, asks the node's executor manager to start an executor
     * with the package, and waits until every worker connected back (the cold start).
     *
     * @throws AllocationRefusedException when no node or the manager refuses (with the reason)
     * @throws ExecutorLostException when the executor died while starting
     */
    public RemoteExecutor allocate(AllocationSpec spec) {
        if (closed) {
            throw new IllegalStateException("client is closed");
        }
        long start = System.nanoTime();
        LeaseOffer offer = leaseSource.acquire(spec.cores(), spec.memoryMiB(), spec.leaseDuration());
        String transportName = Transports.transportOf(offer.managerAddress());
        Transport transport = transports.computeIfAbsent(transportName, Transports::open);
        List<Connection> workers = new ArrayList<>();
        ControlLink control = null;
        PollerThread poller = new PollerThread();
        boolean ok = false;
        ListenerKey listenerKey = new ListenerKey(listenAddresses.forManager(offer.managerAddress()),
                HotPathWarmup.clientSide(spec.slotsPerWorker(), spec.outputCapacity()));
        Listener listener = idleListeners.take(listenerKey);
        try {
            if (listener == null) {
                listener = transport.listen(listenerKey.address(), listenerKey.spec());
            }
            control = idleControl.take(offer.managerAddress());
            boolean reused = control != null;
            if (reused && !control.connection.isOpen()) {
                control.close();
                control = null;
                reused = false;
            }
            if (control == null) {
                control = ControlLink.connect(transport, offer.managerAddress(), connectTimeout);
            }
            long nonce = KernelRandom.nextLong();
            AllocationResponse response;
            try {
                response = negotiate(control, offer, spec, nonce, listener.address(), poller);
            } catch (TransportException e) {
                if (!reused) {
                    throw e;
                }
                // The kept connection's manager went away (restarted, say) since its last lease:
                // the request never reached a live manager, so it goes again on a new connection.
                LOG.debug("lease {}: the kept control connection to {} failed ({}); reconnecting", offer.leaseId(),
                        offer.managerAddress(), e.getMessage());
                control.close();
                control = null;
                control = ControlLink.connect(transport, offer.managerAddress(), connectTimeout);
                response = negotiate(control, offer, spec, nonce, listener.address(), poller);
            }
            if ((warmUpCalls > 0 || warmUpHandshakes > 0) && warmed.add(transportName)) {
                // While the executor takes its assignment and its workers connect (they wait for
                // the accept below); after the allocation's own messages, whose use of the wire
                // classes then is in the profile the JIT compiles the invocation path with.
                warmUp(transport, transportName, spec);
            }
            if (lowerCompiler.compareAndSet(true, false)) {
                // After the warm-up, whose compiles should finish before the lease's first call.
                LOG.debug("{} JIT compiler threads at nice {}", ThreadPolicy.lowerCompilerThreads(),
                        ThreadPolicy.LOWEST_NICE);
            }
            List<String> functions = WorkerHellos.accept(listener, control.connection, response.leaseId(), nonce, spec,
                    workers, allocationTimeout);
            long elapsed = System.nanoTime() - start;
            RemoteExecutor[] self = new RemoteExecutor[1];
            RemoteExecutor executor = new RemoteExecutor(response.leaseId(), offer.node(),
                    response.expiresAtEpochMillis(), spec.inputCapacity(), spec.outputCapacity(), functions, workers,
                    spec.slotsPerWorker(), control, elapsed, () -> {
                        open.remove(self[0]);
                        giveBack(offer);
                    }, link -> idleControl.keep(link.managerAddress, link), backgroundPoller, poller);
            self[0] = executor;
            open.add(executor);
            ok = true;
            LOG.debug("lease {} on {}: {} workers ready in {} us", response.leaseId(), offer.node(), spec.cores(),
                    elapsed / 1000);
            return executor;
        } catch (TransportException e) {
            throw new AllocationRefusedException("cannot allocate on " + offer.node() + " (" + offer.managerAddress()
                    + "): " + e.getMessage(), e);
        } finally {
            if (!ok) {
                poller.cancel();
                workers.forEach(Connection::close);
                if (control != null) {
                    control.close();
                }
                giveBack(offer);
            }
            if (listener != null && ok) {
                idleListeners.keep(listenerKey, listener);
            } else if (listener != null) {
                listener.close();
            }
        }
    }

    /**
     * Gives a lease back to its source: once released, and also when its allocation failed (not at
     * its expiry): the node's manager refused it and holds nothing, or ends it as its executor
     * stops, and makes a request for that capacity meanwhile wait for the stop.
     */
    private void giveBack(LeaseOffer offer) {
        try {
            leaseSource.release(offer);
        } catch (RuntimeException e) {
            LOG.warn("lease {}: giving it back: {}", offer.leaseId(), e.getMessage());
        }
    }

    /** {@link HotPathWarmup} on {@code transport}; a failure only costs the warm-up (the allocation goes on). */
    private void warmUp(Transport transport, String transportName, AllocationSpec spec) {
        long t0 = System.nanoTime();
        try {
            if (warmUpCalls > 0) {
                HotPathWarmup.run(transport, transportName, spec.slotsPerWorker(), spec.inputCapacity(),
                        spec.outputCapacity(), warmUpCalls);
            }
            int handshakes = HotPathWarmup.handshakes(transport, transportName, spec.slotsPerWorker(),
                    spec.inputCapacity(), spec.outputCapacity(), warmUpHandshakes);
            LOG.debug("warmed the {} invocation path with {} loopback calls and {} handshakes in {} ms", transportName,
                    warmUpCalls, handshakes, (System.nanoTime() - t0) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.warn("the warm-up of the {} invocation path failed (the first calls will be slower): {}", transportName,
                    e.toString());
        }
    }

    /** Tests: the transports whose invocation path this client warmed. */
    Set<String> warmedTransports() {
        return Set.copyOf(warmed);
    }

    /**
     * Allocates {@code totalCores} cores as several leases of at most {@code maxCoresPerLease}
     * each (e.g. 12 as 3 x 4), placed by the lease source, possibly on several hosts, and started
     * in parallel; every lease uses {@code spec} except for its core count. On any failure the
     * leases already obtained are released and the failure is thrown.
     *
     * @throws AllocationRefusedException when a lease cannot be placed or started
     */
    public ExecutorGroup allocateGroup(AllocationSpec spec, int totalCores, int maxCoresPerLease) {
        return ExecutorGroup.allocate(this::allocate, spec, totalCores, maxCoresPerLease);
    }

    /** Releases every executor still open and closes the transports. */
    @Override
    public void close() {
        closed = true;
        for (RemoteExecutor e : List.copyOf(open)) {
            e.close();
        }
        open.clear();
        idleControl.closeAll();
        idleListeners.closeAll();
        revocations.close();
        transports.values().forEach(Transport::close);
        transports.clear();
    }

    /**
     * Sends the request and the package; returns the manager's acceptance. {@code poller} starts
     * once the request is out, while the manager works on it.
     */
    private AllocationResponse negotiate(ControlLink link, LeaseOffer offer, AllocationSpec spec, long nonce,
            String clientAddress, PollerThread poller) {
        Connection control = link.connection;
        FunctionPackage pkg = spec.functionPackage();
        int chunkCapacity = Math.min(MAX_CHUNK, control.peerSpec().slotSize() - PackageChunk.LENGTH);
        MemorySegment buffer = link.requestBuffer;
        AllocationRequest request = new AllocationRequest(offer.leaseId(), nonce, spec.shape(),
                spec.leaseDuration().toMillis(), pkg.kind(), pkg.size(), pkg.digest(), offer.token(), clientAddress,
                pkg.functionNames());
        int length = request.encode(buffer, 0);
        control.write(0, buffer, 0, length, 0);
        poller.start();
        Completion c = new Completion();
        byte[] bytes = pkg.bytes();
        int sent = 0;
        int peerSlot = 1;
        while (true) {
            awaitControl(control, c, offer);
            MemorySegment slot = control.receiveSlot(c.slot());
            MessageType type = MessageHeader.check(slot, 0, c.length(), MessageHeader.LENGTH);
            if (type == MessageType.ALLOCATION_RESPONSE) {
                AllocationResponse r = AllocationResponse.decode(slot, 0, c.length());
                control.release(c.slot());
                if (!r.accepted()) {
                    throw new AllocationRefusedException(offer.node() + " refused the allocation (" + r.refusal() + "): "
                            + r.message());
                }
                // Accepted with nothing shipped: the node's cache holds the announced package (it
                // verified the copy against the SHA-256 we announced). Otherwise all must be sent.
                boolean fromCache = sent == 0 && !pkg.digest().isNone();
                if (sent != bytes.length && !fromCache) {
                    throw new InvocationProtocolException("manager accepted after " + sent + " of " + bytes.length
                            + " package bytes");
                }
                return r;
            }
            if (type == MessageType.LEASE_ENDED) {
                LeaseEnded e = LeaseEnded.decode(slot, 0, c.length());
                control.release(c.slot());
                throw new AllocationRefusedException("allocation on " + offer.node() + " failed (" + e.reason() + "): "
                        + e.message());
            }
            if (type != MessageType.PACKAGE_ACK) {
                control.release(c.slot());
                throw new InvocationProtocolException("unexpected " + type + " from executor manager " + offer.node());
            }
            int acked = PackageAck.decode(slot, 0, c.length());
            control.release(c.slot());
            if (acked != sent || sent >= bytes.length) {
                throw new InvocationProtocolException("manager acknowledged " + acked + " package bytes, "
                        + sent + " were sent");
            }
            int n = Math.min(chunkCapacity, bytes.length - sent);
            PackageChunk.writeHeader(buffer, 0, sent, n);
            MemorySegment.copy(bytes, sent, buffer, ValueLayout.JAVA_BYTE, PackageChunk.LENGTH, n);
            control.write(peerSlot, buffer, 0, PackageChunk.LENGTH + n, 0);
            peerSlot ^= 1;
            sent += n;
        }
    }

    private void awaitControl(Connection control, Completion c, LeaseOffer offer) {
        long deadline = System.nanoTime() + allocationTimeout.toNanos();
        while (!control.await(c, 100_000_000L)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AllocationRefusedException("executor manager " + offer.node() + " did not answer within "
                        + allocationTimeout.toMillis() + " ms");
            }
        }
    }

    /** Configures an {@link RfaasClient}. */
    public static final class Builder {
        private LeaseSource leaseSource;
        private final Map<String, String> listenAddresses = new HashMap<>();
        private String listenHost;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration allocationTimeout = Duration.ofSeconds(30);
        private boolean backgroundPoller;
        private int warmUpCalls;
        private int warmUpHandshakes;
        private boolean lowPriorityCompiler;

        private Builder() {
        }

        /** Leases from the static executors database file (JSON list of nodes). */
        public Builder executorsDatabase(Path file) {
            this.leaseSource = ExecutorsDatabase.load(file);
            return this;
        }

        /** Leases from {@code source} (an {@link ExecutorsDatabase} or the resource manager). */
        public Builder leaseSource(LeaseSource source) {
            this.leaseSource = source;
            return this;
        }

        /**
         * Where the client listens for its workers on transport {@code transport}, a full address
         * such as {@code tcp://10.0.0.5:0}. Overrides {@link #listenAddress(String)} for that
         * transport. Default: the local address that routes to each executor manager, port 0
         * (ephemeral); a fresh socket path for {@code shm:}.
         */
        public Builder listenAddress(String transport, String address) {
            Transports.transportOf(address);
            listenAddresses.put(transport, address);
            return this;
        }

        /**
         * The host (an IP literal or name of this machine) to listen on for workers on every IP
         * transport ({@code tcp}, {@code fabric:tcp}), with an ephemeral port; {@code null} to pick,
         * per executor manager, the local address that routes to it (the default).
         */
        public Builder listenAddress(String host) {
            if (host != null && (host.isBlank() || host.contains("/"))) {
                throw new IllegalArgumentException("listen host '" + host + "' must be an address or host name");
            }
            this.listenHost = host;
            return this;
        }

        /** Longest wait for a connection or a worker's hello (default 5 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** Longest wait for the whole allocation, executor start-up included (default 30 s). */
        public Builder allocationTimeout(Duration timeout) {
            this.allocationTimeout = timeout;
            return this;
        }

        /**
         * Whether each executor's background thread completes asynchronous calls by spinning on
         * their replies (as a callback-style application that never waits on its futures needs).
         * Default {@code false}: a future is completed by the thread that waits on it
         * ({@code join}, {@code get}), so no poller thread competes with the caller and the
         * executor for cores; an unwaited future is still completed by the background thread
         * within about a millisecond.
         */
        public Builder backgroundPoller(boolean enabled) {
            this.backgroundPoller = enabled;
            return this;
        }

        /**
         * At its first allocation on each transport (once the manager accepted it, while the
         * executor takes its assignment), the client makes {@code calls} blocking calls to a
         * loopback echo worker in its own process over that transport (no lease, no executor): the
         * JIT then compiles the invocation path before the lease's first call instead of during its
         * first few thousand (whose p99 was several times the median, with millisecond outliers).
         * It lengthens that allocation by about the warm-up's time, once (0.1-0.5 s for 10,000
         * calls in a fresh JVM, more on busy cores); 0 (the default) does not warm up.
         */
        public Builder warmUp(int calls) {
            if (calls < 0) {
                throw new IllegalArgumentException("warm-up calls must be 0 or more, not " + calls);
            }
            this.warmUpCalls = calls;
            return this;
        }

        /**
         * At its first allocation on each transport (with the {@link #warmUp warm-up}'s calls, if
         * any), the client also makes {@code handshakes} connections to a loopback listener in its
         * own process and drops them ({@link HandshakeRehearsal}; not over libfabric): a process
         * runs its end of a worker connection's handshake once per connection, so without this
         * every later lease's workers waited for it in the interpreter (~0.5 ms of an shm cold
         * start from a spare). About 0.2-0.4 s more on that first allocation for the default
         * {@value HandshakeRehearsal#DEFAULT_HANDSHAKES}; 0 (the default) makes none. For clients
         * that allocate often and want each cold start short.
         */
        public Builder warmUpHandshakes(int handshakes) {
            if (handshakes < 0) {
                throw new IllegalArgumentException("warm-up handshakes must be 0 or more, not " + handshakes);
            }
            this.warmUpHandshakes = handshakes;
            return this;
        }

        /**
         * At its first allocation (after the {@link #warmUp warm-up}, if any) the client sets this
         * JVM's JIT compiler threads to the lowest CPU priority, nice 19, for the rest of the
         * process's life ({@link ThreadPolicy#lowerCompilerThreads}). A hot caller and a hot
         * worker each spin on a core; on a node with no core to spare, a compile at normal
         * priority preempted one of them for whole scheduler slices, milliseconds each: the
         * slowest calls of a run. The price: code the JIT compiles later takes longer to arrive
         * while the cores are busy. It changes the whole JVM, hence opt-in; default {@code false}.
         */
        public Builder lowPriorityCompiler(boolean enabled) {
            this.lowPriorityCompiler = enabled;
            return this;
        }

        public RfaasClient build() {
            return new RfaasClient(this);
        }
    }
}
