package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.rfaas.protocol.ExecutorHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.Listener;

/** Tests playing an executor manager: the first steps with a spare executor. */
final class SpareManagerSide {
    private SpareManagerSide() {
    }

    /**
     * Accepts {@code executor}'s manager connection, checks its hello carries {@code secret}, and
     * waits (up to 30 s) for its warm-up to finish; returns the connection.
     */
    static Connection acceptAfterWarmUp(Listener managerSide, Executor executor, long secret)
            throws InterruptedException {
        Connection manager = managerSide.accept(Duration.ofSeconds(30));
        assertNotNull(manager, "the executor did not connect to its manager");
        Completion c = new Completion();
        assertTrue(manager.await(c, TimeUnit.SECONDS.toNanos(30)));
        assertEquals(secret, ExecutorHello.decode(manager.receiveSlot(c.slot()), 0, c.length()).secret());
        manager.release(c.slot());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!executor.warmedUp() && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        return manager;
    }
}
