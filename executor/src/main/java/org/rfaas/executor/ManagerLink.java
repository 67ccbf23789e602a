package org.rfaas.executor;

import java.lang.foreign.MemorySegment;
import java.util.function.BooleanSupplier;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorHello;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's accounting connection to its manager, up to its assignment: connect, hello, and
 * the wait for a lease.
 *
 * <p>A spare waits on idle CPU cycles only (the manager gives its cgroup the lowest weight). On a
 * node whose cores are busy it can stay silent past the transport's liveness timeout, before or
 * after its hello, and the manager drops the connection as dead. The spare then connects again
 * with the same hello instead of exiting: a lease the manager handed it meanwhile (raising its
 * weight) is sent on the new connection.
 */
final class ManagerLink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ManagerLink.class);
    /** Reconnections in a row, each after a link that lasted under {@link #STABLE_NANOS}, before giving up. */
    static final int MAX_QUICK_RECONNECTS = 5;
    private static final long STABLE_NANOS = 10_000_000_000L;
    /** The slot size of the link: the largest message either side sends on it. */
    static final int SLOT_BYTES = 16 * 1024;
    private static final ConnectionSpec SPEC = new ConnectionSpec(2, SLOT_BYTES, 0);

    private final Transport transport;
    private final String address;
    private final long spawnSecret;
    private Connection connection;
    private MemorySegment control;
    private long connectedAt;
    private int quickReconnects;

    private ManagerLink(Transport transport, String address, long spawnSecret) {
        this.transport = transport;
        this.address = address;
        this.spawnSecret = spawnSecret;
    }

    /**
     * Connects and sends the hello.
     *
     * @throws TransportException when the manager cannot be reached
     */
    static ManagerLink open(Transport transport, String address, long spawnSecret) {
        ManagerLink link = new ManagerLink(transport, address, spawnSecret);
        link.connect();
        return link;
    }

    /** The current connection (the assignment's, once {@link #awaitAssignment} returned one). */
    Connection connection() {
        return connection;
    }

    /** The control buffer of {@link #connection()}; the hello occupies its first bytes. */
    MemorySegment control() {
        return control;
    }

    private void connect() {
        connection = transport.connect(address, SPEC, WorkerConnector.CONNECT_TIMEOUT);
        connectedAt = System.nanoTime();
        control = connection.allocateBuffer(64);
        int length = new ExecutorHello(spawnSecret, ProcessHandle.current().pid()).encode(control, 0);
        try {
            connection.write(0, control, 0, length, 0);
        } catch (PeerFailedException e) {
            // Dropped before the hello went out: the wait for the assignment sees it and reconnects.
            LOG.debug("executor: the manager dropped the connection before the hello: {}", e.getMessage());
        }
    }

    /**
     * Waits for the assignment; null when the manager told this executor to shut down, went away,
     * or {@code stop} asked for it first.
     */
    ExecutorAssignment awaitAssignment(BooleanSupplier stop) {
        Completion c = new Completion();
        while (!stop.getAsBoolean()) {
            try {
                if (!connection.await(c, 50_000_000L)) {
                    continue;
                }
            } catch (PeerFailedException e) {
                if (!reconnect(e)) {
                    return null;
                }
                continue;
            }
            MemorySegment slot = connection.receiveSlot(c.slot());
            MessageType type = MessageHeader.check(slot, 0, c.length(), MessageHeader.LENGTH);
            try {
                return type == MessageType.EXECUTOR_SHUTDOWN ? null : ExecutorAssignment.decode(slot, 0, c.length());
            } finally {
                connection.release(c.slot());
            }
        }
        return null;
    }

    /** Connects again after {@code failure}; false when the manager is gone or keeps dropping the link. */
    private boolean reconnect(PeerFailedException failure) {
        quickReconnects = System.nanoTime() - connectedAt > STABLE_NANOS ? 1 : quickReconnects + 1;
        connection.close();
        if (quickReconnects > MAX_QUICK_RECONNECTS) {
            LOG.info("executor: the manager dropped the connection {} times in a row; exiting: {}",
                    MAX_QUICK_RECONNECTS + 1, failure.getMessage());
            return false;
        }
        LOG.info("executor: the manager's connection failed before an assignment ({}); connecting again",
                failure.getMessage());
        try {
            connect();
            return true;
        } catch (TransportException e) {
            LOG.info("executor: manager went away before assigning a lease: {}", e.getMessage());
            return false;
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
