package org.rfaas.executormanager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The seccomp filter bubblewrap installs in every sandboxed executor ({@code --seccomp}): a classic
 * BPF program that refuses, with {@code EPERM}, the system calls a function has no business making
 * and that widen what a process can reach even without privileges: tracing and reading other
 * processes' memory, new namespaces, mounts, kernel keyrings, eBPF, perf events, userfaultfd,
 * io_uring, modules, kexec, clocks and the like. Everything else is allowed (the JVM's needs are
 * wide and version-dependent: an allow-list would break it). A call from another ABI than the
 * host's (e.g. x32 on x86-64) is refused too, and a foreign architecture ends the process.
 *
 * <pre>
 *   ld  arch ; jeq AUDIT_ARCH_X86_64 ? next : KILL
 *   ld  nr   ; jge 0x40000000 (x32)  ? EPERM : next
 *   jeq nr_1 ? EPERM : next ; ... ; jeq nr_n ? EPERM : next
 *   ret ALLOW ; ret ERRNO(EPERM)
 * </pre>
 *
 * Only x86-64 has its numbers here; elsewhere the sandbox runs without a filter and says so.
 */
final class SeccompFilter {
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short RET_K = 0x06;
    private static final int RET_KILL_PROCESS = 0x80000000;
    private static final int RET_ALLOW = 0x7fff0000;
    private static final int RET_EPERM = 0x00050000 | 1;
    /** Offsets in {@code struct seccomp_data}. */
    private static final int NR = 0;
    private static final int ARCH = 4;

    /** The refused calls and their x86-64 numbers. */
    static final Map<String, Integer> REFUSED_X86_64 = refused();

    private SeccompFilter() {
    }

    private static Map<String, Integer> refused() {
        Map<String, Integer> m = new TreeMap<>();
        // other processes: tracing, reading and writing their memory
        m.put("ptrace", 101);
        m.put("process_vm_readv", 310);
        m.put("process_vm_writev", 311);
        // namespaces and mounts (the sandbox is set up before the filter applies)
        m.put("unshare", 272);
        m.put("setns", 308);
        m.put("mount", 165);
        m.put("umount2", 166);
        m.put("pivot_root", 155);
        m.put("chroot", 161);
        m.put("open_tree", 428);
        m.put("move_mount", 429);
        m.put("fsopen", 430);
        m.put("fsconfig", 431);
        m.put("fsmount", 432);
        m.put("fspick", 433);
        m.put("name_to_handle_at", 303);
        m.put("open_by_handle_at", 304);
        // kernel attack surface a function does not need
        m.put("bpf", 321);
        m.put("perf_event_open", 298);
        m.put("userfaultfd", 323);
        m.put("io_uring_setup", 425);
        m.put("io_uring_enter", 426);
        m.put("io_uring_register", 427);
        m.put("keyctl", 250);
        m.put("add_key", 248);
        m.put("request_key", 249);
        m.put("fanotify_init", 300);
        m.put("lookup_dcookie", 212);
        m.put("syslog", 103);
        m.put("uselib", 134);
        // the machine itself
        m.put("init_module", 175);
        m.put("finit_module", 313);
        m.put("delete_module", 176);
        m.put("kexec_load", 246);
        m.put("kexec_file_load", 320);
        m.put("reboot", 169);
        m.put("swapon", 167);
        m.put("swapoff", 168);
        m.put("acct", 163);
        m.put("quotactl", 179);
        m.put("iopl", 172);
        m.put("ioperm", 173);
        m.put("settimeofday", 164);
        m.put("clock_settime", 227);
        m.put("clock_adjtime", 305);
        m.put("adjtimex", 159);
        m.put("sethostname", 170);
        m.put("setdomainname", 171);
        m.put("vhangup", 153);
        return m;
    }

    /** Whether this host's architecture has a filter. */
    static boolean supported() {
        String arch = System.getProperty("os.arch");
        return "amd64".equals(arch) || "x86_64".equals(arch);
    }

    /** The program, as {@code struct sock_filter}s in the host's byte order. */
    static byte[] program() {
        int[] nrs = REFUSED_X86_64.values().stream().mapToInt(Integer::intValue).toArray();
        int n = nrs.length;
        ByteBuffer b = ByteBuffer.allocate(8 * (7 + n)).order(ByteOrder.nativeOrder());
        put(b, LD_W_ABS, 0, 0, ARCH);
        put(b, JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
        put(b, RET_K, 0, 0, RET_KILL_PROCESS);
        put(b, LD_W_ABS, 0, 0, NR);
        put(b, JGE_K, n + 1, 0, X32_SYSCALL_BIT);
        for (int i = 0; i < n; i++) {
            put(b, JEQ_K, n - i, 0, nrs[i]); // to the EPERM return after the remaining checks and ALLOW
        }
        put(b, RET_K, 0, 0, RET_ALLOW);
        put(b, RET_K, 0, 0, RET_EPERM);
        return b.array();
    }

    /** Writes the program to {@code dir}/seccomp.bpf (bubblewrap reads it from a descriptor); returns the file. */
    static Path writeTo(Path dir) throws IOException {
        Path file = dir.resolve("seccomp.bpf");
        Files.write(file, program());
        return file;
    }

    private static void put(ByteBuffer b, short code, int jt, int jf, int k) {
        b.putShort(code).put((byte) jt).put((byte) jf).putInt(k);
    }
}
