package org.rfaas.transport.fabric;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.rfaas.transport.*;

public final class Scratch {
    public static void main(String[] a) throws Exception {
        String v = a[0];
        try (Transport t = Transports.open("fabric:" + v)) {
            System.out.println(((FabricTransport) t).capabilities().summary());
            ConnectionSpec spec = new ConnectionSpec(4, 1 << 24, 2);
            Listener l = t.listen("fabric:" + v + "://127.0.0.1:0", spec);
            System.out.println(l.address());
            Connection[] srv = new Connection[1];
            Thread th = new Thread(() -> {
                Connection c = l.accept(Duration.ofSeconds(10));
                srv[0] = c;
                Completion cp = new Completion();
                try {
                    MemorySegment out = c.allocateBuffer(1 << 24);
                    for (int i = 0; i < 20000; i++) {
                        while (!c.poll(cp)) { }
                        MemorySegment.copy(c.receiveSlot(cp.slot()), 0, out, 0, cp.length());
                        c.release(cp.slot());
                        c.write(cp.slot(), out, 0, cp.length(), cp.immediate() + 1);
                    }
                    while (c.localCounter(0) < 2000) { c.poll(cp); }
                    System.out.println("server counter " + c.localCounter(0));
                } catch (Exception e) { e.printStackTrace(); }
            });
            th.start();
            Connection c = t.connect(l.address(), spec, Duration.ofSeconds(10));
            MemorySegment buf = c.allocateBuffer(1 << 24);
            Completion cp = new Completion();
            int[] sizes = {0, 1, 8, 64, 4096, 65536, 1 << 20, (1 << 22) + 5, 1 << 24};
            int iter = 0;
            for (int s : sizes) {
                for (int i = 0; i < s; i++) buf.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + s));
                c.write(1, buf, 0, s, iter);
                while (!c.poll(cp)) { }
                MemorySegment r = c.receiveSlot(cp.slot());
                boolean ok = cp.length() == s && cp.immediate() == iter + 1 && r.asSlice(0, s).mismatch(buf.asSlice(0, s)) == -1;
                System.out.println("size " + s + " ok=" + ok + " " + cp);
                c.release(cp.slot());
                iter++;
            }
            long t0 = System.nanoTime(); int n = 20000 - sizes.length;
            long[] lat = new long[n];
            for (int i = 0; i < n; i++) {
                long s0 = System.nanoTime();
                c.write(0, buf, 0, 8, i);
                while (!c.poll(cp)) { }
                c.release(cp.slot());
                lat[i] = System.nanoTime() - s0;
            }
            java.util.Arrays.sort(lat);
            System.out.println("8B rtt median ns " + lat[n / 2] + " p99 " + lat[n * 99 / 100]);
            long prev = 0;
            for (int i = 0; i < 2000; i++) prev = c.fetchAndAdd(0, 1);
            System.out.println("faa last prev " + prev);
            th.join();
            srv[0].close();
            c.close();
            l.close();
        }
    }
}
