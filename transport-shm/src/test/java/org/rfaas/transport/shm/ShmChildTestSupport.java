package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * What the two-process shm tests share: a transport per test, a child peer JVM that connects to a
 * fresh listener, a bounded warm wait for the next completion, and the check that no shared file
 * outlives the test class.
 */
abstract class ShmChildTestSupport {
    static final Duration ACCEPT = Duration.ofSeconds(30);
    static final long SECOND = 1_000_000_000L;

    Transport transport;
    Listener listener;
    Child child;
    Child child2;

    @BeforeEach
    void open() {
        transport = Transports.open("shm");
    }

    @AfterEach
    void closeAll() throws InterruptedException {
        if (child != null) {
            child.close();
        }
        if (child2 != null) {
            child2.close();
        }
        transport.close();
    }

    @AfterAll
    static void noSharedFileLeft() throws IOException {
        String mine = ShmFiles.PREFIX + ProcessHandle.current().pid() + "-";
        try (Stream<Path> files = Files.list(ShmFiles.directory())) {
            List<Path> left = files.filter(p -> p.getFileName().toString().startsWith(mine)).toList();
            assertEquals(List.of(), left, "shared files left behind");
        }
    }

    Connection acceptChild(ConnectionSpec spec, String... childArgs) throws Exception {
        listener = transport.listen("shm:", spec);
        String[] args = childArgs.clone();
        for (int i = 0; i < args.length; i++) {
            args[i] = args[i].replace("$ADDR", listener.address());
        }
        child = Child.start(ShmPeer.class, args);
        Connection c = listener.accept(ACCEPT);
        assertNotNull(c, "child did not connect");
        child.expect("READY", 30);
        return c;
    }

    /** Waits (warm) for one completion, failing after 20 s. */
    static Completion next(Connection c) {
        Completion done = new Completion();
        long end = System.nanoTime() + 20 * SECOND;
        while (!c.await(done, SECOND)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("no completion within 20 s");
            }
        }
        return done;
    }
}
