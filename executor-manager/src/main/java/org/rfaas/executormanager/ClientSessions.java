package org.rfaas.executormanager;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.function.Function;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.PackageAck;
import org.rfaas.protocol.PackageChunk;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.ReleaseRequest;
import org.rfaas.executormanager.packages.PackageCache;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's control connection, from its {@link AllocationRequest} to the lease's end: verify
 * the lease ({@link LeaseAuthority}), reserve capacity, take the function package from the node's
 * {@link PackageCache} or receive it (checked against its announced SHA-256), start the executor ({@link ExecutorLinks}), answer, then wait for the release or the client's death.
 *
 * <p>Threads: {@link #serve} runs on the connection's own thread for the connection's life and
 * blocks only in that connection's {@code await}.
 */
final class ClientSessions {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSessions.class);
    static final long HANDSHAKE_TIMEOUT_NANOS = 10_000_000_000L;
    private static final int CLIENT_RESPONSE_SLOT = 0;

    private final ExecutorManagerConfig config;
    private final LeaseAuthority authority;
    private final LeaseTable leases;
    private final ExecutorLinks executors;
    private final PackageCache packages;
    /** The manager's own address on the transport of a client address (executors connect there). */
    private final Function<String, String> managerAddressFor;

    ClientSessions(ExecutorManagerConfig config, LeaseAuthority authority, LeaseTable leases, ExecutorLinks executors,
            PackageCache packages, Function<String, String> managerAddressFor) {
        this.config = config;
        this.packages = packages;
        this.authority = authority;
        this.leases = leases;
        this.executors = executors;
        this.managerAddressFor = managerAddressFor;
    }

    /**
     * Serves a client whose first message (an allocation request) is in {@code completion}'s slot;
     * runs {@code authorized} once its lease token is verified and capacity reserved (until then
     * the connection counts as unproven, see {@link ConnectionAdmission}).
     */
    void serve(Connection c, Completion completion, Runnable authorized) {
        MemorySegment buffer = c.allocateBuffer(c.peerSpec().slotSize());
        ManagedLease lease = serveRequest(c, completion, buffer, authorized);
        // A client keeps its control connection for its next allocation on this node once a lease
        // it released has ended: the next request then skips the connection's handshake.
        while (lease != null && serveLeaseControl(lease, completion)) {
            lease = serveRequest(c, completion, buffer, () -> { });
        }
    }

    /**
     * Serves the allocation request in {@code completion}'s slot up to the client's answer;
     * returns the lease started, or null when the request was refused or failed (answered).
     */
    private ManagedLease serveRequest(Connection c, Completion completion, MemorySegment buffer, Runnable authorized) {
        long requestNanos = System.nanoTime();
        AllocationRequest request;
        try {
            request = AllocationRequest.decode(c.receiveSlot(completion.slot()), 0, completion.length());
        } catch (ProtocolException e) {
            c.release(completion.slot());
            leases.notifyRefused(AllocationRefusal.BAD_REQUEST);
            respond(c, buffer, new AllocationResponse(0, 0, AllocationRefusal.BAD_REQUEST, e.getMessage()));
            throw e;
        }
        c.release(completion.slot());
        LeaseClaims claims;
        try {
            claims = authority.authorize(request, config.node(), System.currentTimeMillis());
            leases.reserve(claims, request.shape());
            authorized.run();
        } catch (LeaseRefusedException e) {
            LOG.info("refused allocation from {}: {} {}", c.peerDescription(), e.refusal(), e.getMessage());
            leases.notifyRefused(e.refusal());
            respond(c, buffer, new AllocationResponse(request.leaseId(), 0, e.refusal(), e.getMessage()));
            drainUntilClosed(c, completion);
            return null;
        }
        ManagedLease lease = null;
        Runnable afterAnswer;
        boolean reserved = true;
        try {
            Path dir = config.workDir().resolve("lease-" + claims.leaseId());
            Files.createDirectories(dir);
            Path pkg = dir.resolve(request.packageKind() == PackageKind.JAR ? "package.jar" : "package.so");
            // A cached package is answered by the AllocationResponse alone: a separate "cached"
            // ack in the same response slot could be overwritten by that response before the
            // client read it (RMA writes land in the slot; only the completion carries the length).
            if (!packages.provide(request.packageDigest(), request.packageSize(), pkg)) {
                PackageDigest received = receivePackage(c, completion, buffer, request, pkg);
                if (received == null) {
                    return null;
                }
                packages.countReceived(request.packageSize());
                if (!request.packageDigest().isNone() && !received.equals(request.packageDigest())) {
                    // Never cache (or run) bytes under a digest they do not have: a later client
                    // announcing that digest would get them.
                    LOG.warn("lease {}: the package received hashes to {}, the client announced {}", claims.leaseId(),
                            received, request.packageDigest());
                    leases.notifyRefused(AllocationRefusal.BAD_REQUEST);
                    respond(c, buffer, new AllocationResponse(claims.leaseId(), 0, AllocationRefusal.BAD_REQUEST,
                            "the package's SHA-256 is " + received.hex() + ", not the announced "
                                    + request.packageDigest().hex()));
                    return null;
                }
                packages.admit(received, pkg);
            }
            lease = new ManagedLease(claims, c, buffer, dir, requestNanos);
            leases.add(lease);
            reserved = false; // the lease holds the capacity now; its end gives it back
            afterAnswer = executors.startFor(lease, request, pkg, managerAddressFor.apply(request.clientAddress()));
        } catch (IOException | RuntimeException e) {
            // The package could not be written or the executor not started (fork failed, a spare
            // went away, ...): the client gets a refusal naming the cause instead of a closed
            // connection, and the lease gives its capacity back.
            String what = lease == null ? "cannot write the package" : "cannot start an executor";
            LOG.error("lease {}: {}", claims.leaseId(), what, e);
            if (lease != null) {
                leases.abandon(lease);
            }
            leases.notifyRefused(AllocationRefusal.SPAWN_FAILED);
            try {
                respond(c, buffer, new AllocationResponse(claims.leaseId(), 0, AllocationRefusal.SPAWN_FAILED,
                        "executor manager " + config.node() + " " + what + ": " + e));
            } catch (TransportException gone) {
                LOG.debug("lease {}: cannot tell the client: {}", claims.leaseId(), gone.getMessage());
            }
            return null;
        } finally {
            if (reserved) {
                leases.cancelReservation(claims);
            }
        }
        try {
            respond(c, buffer, new AllocationResponse(lease.id(), claims.expiresAtEpochMillis(),
                    AllocationRefusal.NONE, ""));
        } catch (TransportException e) {
            LOG.info("lease {}: the client went away before its allocation was answered: {}", lease.id(),
                    e.getMessage());
            afterAnswer.run();
            leases.endLease(lease, LeaseEndReason.CLIENT_LOST);
            return null;
        }
        afterAnswer.run();
        leases.scheduleExpiry(lease);
        return lease;
    }

    /**
     * Acks the request, then every chunk but the last; returns the SHA-256 of what arrived, or
     * null if the client went away.
     */
    private static PackageDigest receivePackage(Connection c, Completion completion, MemorySegment buffer,
            AllocationRequest request, Path file) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            MessageDigest digest = PackageDigest.sha256();
            int received = 0;
            int length = PackageAck.write(buffer, 0, received);
            c.write(CLIENT_RESPONSE_SLOT, buffer, 0, length, 0);
            while (received < request.packageSize()) {
                if (!awaitFor(c, completion, HANDSHAKE_TIMEOUT_NANOS)) {
                    LOG.warn("client {} stopped sending its package at {} of {} bytes", c.peerDescription(), received,
                            request.packageSize());
                    return null;
                }
                MemorySegment slot = c.receiveSlot(completion.slot());
                int n = PackageChunk.validate(slot, 0, completion.length(), received, request.packageSize());
                java.nio.ByteBuffer bytes = slot.asSlice(PackageChunk.LENGTH, n).asByteBuffer();
                digest.update(bytes.duplicate());
                out.write(bytes);
                c.release(completion.slot());
                received += n;
                if (received < request.packageSize()) {
                    length = PackageAck.write(buffer, 0, received);
                    c.write(CLIENT_RESPONSE_SLOT, buffer, 0, length, 0);
                }
            }
            return PackageDigest.of(digest);
        }
    }

    private static void respond(Connection c, MemorySegment buffer, AllocationResponse response) {
        synchronized (c) {
            int length = response.encode(buffer, 0);
            c.write(CLIENT_RESPONSE_SLOT, buffer, 0, length, 0);
        }
    }

    /** After a refusal: keep the connection until the client read the answer and closed it. */
    private static void drainUntilClosed(Connection c, Completion completion) {
        long deadline = System.nanoTime() + ConnectionAdmission.REFUSAL_DRAIN_NANOS;
        while (System.nanoTime() - deadline < 0) {
            if (c.await(completion, 100_000_000L)) {
                c.release(completion.slot());
            }
        }
    }

    /**
     * Serves the client's control connection for the lease's life: release, or client death.
     * Returns true when the client, its lease ended, sent its next allocation request on the same
     * connection (in {@code completion}'s slot); false when the connection is done.
     */
    private boolean serveLeaseControl(ManagedLease lease, Completion completion) {
        Connection c = lease.client;
        try {
            while (true) {
                if (!c.await(completion, 200_000_000L)) {
                    continue;
                }
                MemorySegment slot = c.receiveSlot(completion.slot());
                if (MessageHeader.check(slot, 0, completion.length(), MessageHeader.LENGTH)
                        == MessageType.ALLOCATION_REQUEST) {
                    if (!lease.hasEnded()) {
                        c.release(completion.slot());
                        throw new ProtocolException(ProtocolError.BAD_TYPE, "an allocation request on the control "
                                + "connection of lease " + lease.id() + ", which has not ended");
                    }
                    return true;
                }
                long leaseId = ReleaseRequest.decode(slot, 0, completion.length());
                c.release(completion.slot());
                if (leaseId != lease.id()) {
                    throw new ProtocolException(ProtocolError.BAD_FIELD, "release names lease " + leaseId
                            + ", this connection holds lease " + lease.id());
                }
                leases.endLease(lease, LeaseEndReason.RELEASED);
            }
        } catch (PeerFailedException e) {
            leases.endLease(lease, LeaseEndReason.CLIENT_LOST);
        } catch (ProtocolException e) {
            LOG.warn("lease {}: protocol error from the client: {}", lease.id(), e.getMessage());
            leases.endLease(lease, LeaseEndReason.CLIENT_LOST);
        } catch (TransportException e) {
            LOG.warn("lease {}: the client's control connection failed: {}", lease.id(), e.getMessage());
            leases.endLease(lease, LeaseEndReason.CLIENT_LOST);
        }
        return false;
    }

    /** Waits up to {@code timeoutNanos} for a message; false when none came. */
    static boolean awaitFor(Connection c, Completion completion, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!c.await(completion, 100_000_000L)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
        }
        return true;
    }
}
