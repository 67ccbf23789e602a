package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.rfaas.transport.TransportException;

/**
 * libfabric 1.x through {@code java.lang.foreign}: the few exported functions, the struct layouts of
 * {@code <rdma/fabric.h>} and friends, and downcall handles for the function pointers of the
 * objects' ops tables.
 *
 * <p>libfabric's public API is mostly {@code static inline} wrappers such as
 * {@code fi_domain(fabric, …)} = {@code fabric->ops->domain(fabric, …)}. Java cannot call an inline
 * function, so this class does what the wrapper does: read the ops-table pointer at its struct
 * offset, read the function pointer from the table, and call it through a downcall handle created
 * once per C signature. Offsets come from {@link StructLayout}s that mirror the C declarations
 * (libfabric 1.17, x86-64/aarch64 LP64); padding is inserted by natural alignment as a C compiler
 * would, so no offset is written by hand.
 */
final class Fi {
    /**
     * Started first, before the layouts and handles below are made: they do not need the library,
     * and its load mostly sleeps (see {@link LibfabricLoad}).
     */
    private static final CompletableFuture<LibfabricLoad.Result> LOAD = LibfabricLoad.start();

    private Fi() {
    }

    /** The API version this code was written against; fi_getinfo negotiates down from here. */
    static final int API_VERSION = version(1, 17);

    static int version(int major, int minor) {
        return (major << 16) | minor;
    }

    // ---- constants (fabric.h, fi_domain.h, fi_eq.h, fi_errno.h, fi_atomic.h) -------------------
    static final long FI_MSG = 1L << 1;
    static final long FI_RMA = 1L << 2;
    static final long FI_TAGGED = 1L << 3;
    static final long FI_ATOMIC = 1L << 4;
    static final long FI_READ = 1L << 8;
    static final long FI_WRITE = 1L << 9;
    static final long FI_RECV = 1L << 10;
    static final long FI_SEND = 1L << 11;
    static final long FI_TRANSMIT = FI_SEND;
    static final long FI_REMOTE_READ = 1L << 12;
    static final long FI_REMOTE_WRITE = 1L << 13;
    static final long FI_REMOTE_CQ_DATA = 1L << 17;
    static final long FI_SOURCE = 1L << 57;
    static final long FI_FETCH_ATOMIC = 1L << 58;
    static final long FI_CONTEXT = 1L << 59;
    static final long FI_CONTEXT2 = 1L << 52;
    static final long FI_RX_CQ_DATA = 1L << 56;

    static final int FI_MR_LOCAL = 1 << 2;
    static final int FI_MR_VIRT_ADDR = 1 << 4;
    static final int FI_MR_ALLOCATED = 1 << 5;
    static final int FI_MR_PROV_KEY = 1 << 6;
    static final int FI_MR_ENDPOINT = 1 << 9;

    static final int FI_EP_MSG = 1;
    static final int FI_EP_RDM = 3;
    static final int FI_THREAD_SAFE = 1;
    static final int FI_PROGRESS_UNSPEC = 0;
    static final int FI_PROGRESS_AUTO = 1;
    static final int FI_PROGRESS_MANUAL = 2;
    static final int FI_AV_UNSPEC = 0;
    static final int FI_AV_TABLE = 2;
    static final int FI_WAIT_NONE = 0;
    static final int FI_WAIT_UNSPEC = 1;
    static final int FI_WAIT_FD = 3;
    static final int FI_CQ_FORMAT_TAGGED = 4;
    static final int FI_SOCKADDR = 1;
    static final int FI_SOCKADDR_IN = 2;
    static final int FI_SOCKADDR_IN6 = 3;
    static final int FI_UINT64 = 7;
    static final int FI_SUM = 2;
    static final int FI_ENABLE = 6;
    static final long FI_ADDR_UNSPEC = -1L;

    static final int FI_EAGAIN = 11;
    static final int FI_ENOSYS = 38;
    static final int FI_ENODATA = 61;
    static final int FI_EOPNOTSUPP = 95;
    static final int FI_ETIMEDOUT = 110;
    static final int FI_EAVAIL = 259;
    static final int FI_ETRUNC = 265;

    // ---- struct layouts -----------------------------------------------------------------------
    private static final MemoryLayout PTR = ADDRESS;
    private static final MemoryLayout U64 = JAVA_LONG;
    private static final MemoryLayout SIZE = JAVA_LONG;
    private static final MemoryLayout INT = JAVA_INT;

    /** Lays members out as a C compiler does: each at its natural alignment, tail-padded. */
    static StructLayout struct(String name, MemoryLayout... members) {
        List<MemoryLayout> out = new ArrayList<>();
        long offset = 0;
        long maxAlign = 1;
        for (MemoryLayout m : members) {
            long align = m.byteAlignment();
            long pad = (align - offset % align) % align;
            if (pad > 0) {
                out.add(MemoryLayout.paddingLayout(pad));
            }
            out.add(m);
            offset += pad + m.byteSize();
            maxAlign = Math.max(maxAlign, align);
        }
        long tail = (maxAlign - offset % maxAlign) % maxAlign;
        if (tail > 0) {
            out.add(MemoryLayout.paddingLayout(tail));
        }
        return MemoryLayout.structLayout(out.toArray(MemoryLayout[]::new)).withName(name);
    }

    static MemoryLayout f(MemoryLayout type, String name) {
        return type.withName(name);
    }

    static long off(StructLayout layout, String field) {
        return layout.byteOffset(PathElement.groupElement(field));
    }

    /** An ops table: {@code size_t size;} followed by function pointers in declaration order. */
    static StructLayout opsTable(String name, String... functions) {
        MemoryLayout[] members = new MemoryLayout[functions.length + 1];
        members[0] = f(SIZE, "size");
        for (int i = 0; i < functions.length; i++) {
            members[i + 1] = f(PTR, functions[i]);
        }
        return struct(name, members);
    }

    static final StructLayout FI_TX_ATTR = struct("fi_tx_attr", f(U64, "caps"), f(U64, "mode"), f(U64, "op_flags"),
            f(U64, "msg_order"), f(U64, "comp_order"), f(SIZE, "inject_size"), f(SIZE, "size"),
            f(SIZE, "iov_limit"), f(SIZE, "rma_iov_limit"), f(INT, "tclass"));
    static final StructLayout FI_RX_ATTR = struct("fi_rx_attr", f(U64, "caps"), f(U64, "mode"), f(U64, "op_flags"),
            f(U64, "msg_order"), f(U64, "comp_order"), f(SIZE, "total_buffered_recv"), f(SIZE, "size"),
            f(SIZE, "iov_limit"));
    static final StructLayout FI_EP_ATTR = struct("fi_ep_attr", f(INT, "type"), f(INT, "protocol"),
            f(INT, "protocol_version"), f(SIZE, "max_msg_size"), f(SIZE, "msg_prefix_size"),
            f(SIZE, "max_order_raw_size"), f(SIZE, "max_order_war_size"), f(SIZE, "max_order_waw_size"),
            f(U64, "mem_tag_format"), f(SIZE, "tx_ctx_cnt"), f(SIZE, "rx_ctx_cnt"), f(SIZE, "auth_key_size"),
            f(PTR, "auth_key"));
    static final StructLayout FI_DOMAIN_ATTR = struct("fi_domain_attr", f(PTR, "domain"), f(PTR, "name"),
            f(INT, "threading"), f(INT, "control_progress"), f(INT, "data_progress"), f(INT, "resource_mgmt"),
            f(INT, "av_type"), f(INT, "mr_mode"), f(SIZE, "mr_key_size"), f(SIZE, "cq_data_size"),
            f(SIZE, "cq_cnt"), f(SIZE, "ep_cnt"), f(SIZE, "tx_ctx_cnt"), f(SIZE, "rx_ctx_cnt"),
            f(SIZE, "max_ep_tx_ctx"), f(SIZE, "max_ep_rx_ctx"), f(SIZE, "max_ep_stx_ctx"),
            f(SIZE, "max_ep_srx_ctx"), f(SIZE, "cntr_cnt"), f(SIZE, "mr_iov_limit"), f(U64, "caps"),
            f(U64, "mode"), f(PTR, "auth_key"), f(SIZE, "auth_key_size"), f(SIZE, "max_err_data"),
            f(SIZE, "mr_cnt"), f(INT, "tclass"));
    static final StructLayout FI_FABRIC_ATTR = struct("fi_fabric_attr", f(PTR, "fabric"), f(PTR, "name"),
            f(PTR, "prov_name"), f(INT, "prov_version"), f(INT, "api_version"));
    static final StructLayout FI_INFO = struct("fi_info", f(PTR, "next"), f(U64, "caps"), f(U64, "mode"),
            f(INT, "addr_format"), f(SIZE, "src_addrlen"), f(SIZE, "dest_addrlen"), f(PTR, "src_addr"),
            f(PTR, "dest_addr"), f(PTR, "handle"), f(PTR, "tx_attr"), f(PTR, "rx_attr"), f(PTR, "ep_attr"),
            f(PTR, "domain_attr"), f(PTR, "fabric_attr"), f(PTR, "nic"));

    /** {@code struct fid}, the header of every libfabric object. */
    static final StructLayout FID = struct("fid", f(SIZE, "fclass"), f(PTR, "context"), f(PTR, "ops"));
    static final StructLayout FI_OPS = opsTable("fi_ops", "close", "bind", "control", "ops_open", "tostr", "ops_set");
    static final StructLayout FID_FABRIC = struct("fid_fabric", f(FID, "fid"), f(PTR, "ops"), f(INT, "api_version"));
    static final StructLayout FI_OPS_FABRIC = opsTable("fi_ops_fabric", "domain", "passive_ep", "eq_open",
            "wait_open", "trywait", "domain2");
    static final StructLayout FID_DOMAIN = struct("fid_domain", f(FID, "fid"), f(PTR, "ops"), f(PTR, "mr"));
    static final StructLayout FI_OPS_DOMAIN = opsTable("fi_ops_domain", "av_open", "cq_open", "endpoint",
            "scalable_ep", "cntr_open", "poll_open", "stx_ctx", "srx_ctx", "query_atomic", "query_collective",
            "endpoint2");
    static final StructLayout FI_OPS_MR = opsTable("fi_ops_mr", "reg", "regv", "regattr");
    static final StructLayout FID_MR = struct("fid_mr", f(FID, "fid"), f(PTR, "mem_desc"), f(U64, "key"));
    static final StructLayout FID_EP = struct("fid_ep", f(FID, "fid"), f(PTR, "ops"), f(PTR, "cm"), f(PTR, "msg"),
            f(PTR, "rma"), f(PTR, "tagged"), f(PTR, "atomic"), f(PTR, "collective"));
    static final StructLayout FI_OPS_CM = opsTable("fi_ops_cm", "setname", "getname", "getpeer", "connect",
            "listen", "accept", "reject", "shutdown", "join");
    static final StructLayout FI_OPS_RMA = opsTable("fi_ops_rma", "read", "readv", "readmsg", "write", "writev",
            "writemsg", "inject", "writedata", "injectdata");
    static final StructLayout FI_OPS_TAGGED = opsTable("fi_ops_tagged", "recv", "recvv", "recvmsg", "send",
            "sendv", "sendmsg", "inject", "senddata", "injectdata");
    static final StructLayout FI_OPS_ATOMIC = opsTable("fi_ops_atomic", "write", "writev", "writemsg", "inject",
            "readwrite", "readwritev", "readwritemsg", "compwrite", "compwritev", "compwritemsg", "writevalid",
            "readwritevalid", "compwritevalid");
    static final StructLayout FID_CQ = struct("fid_cq", f(FID, "fid"), f(PTR, "ops"));
    static final StructLayout FI_OPS_CQ = opsTable("fi_ops_cq", "read", "readfrom", "readerr", "sread",
            "sreadfrom", "signal", "strerror");
    static final StructLayout FID_AV = struct("fid_av", f(FID, "fid"), f(PTR, "ops"));
    static final StructLayout FI_OPS_AV = opsTable("fi_ops_av", "insert", "insertsvc", "insertsym", "remove",
            "lookup", "straddr", "av_set");

    static final StructLayout FI_CQ_ATTR = struct("fi_cq_attr", f(SIZE, "size"), f(U64, "flags"), f(INT, "format"),
            f(INT, "wait_obj"), f(INT, "signaling_vector"), f(INT, "wait_cond"), f(PTR, "wait_set"));
    static final StructLayout FI_AV_ATTR = struct("fi_av_attr", f(INT, "type"), f(INT, "rx_ctx_bits"),
            f(SIZE, "count"), f(SIZE, "ep_per_node"), f(PTR, "name"), f(PTR, "map_addr"), f(U64, "flags"));
    static final StructLayout FI_ATOMIC_ATTR = struct("fi_atomic_attr", f(SIZE, "count"), f(SIZE, "size"));
    static final StructLayout FI_CQ_TAGGED_ENTRY = struct("fi_cq_tagged_entry", f(PTR, "op_context"),
            f(U64, "flags"), f(SIZE, "len"), f(PTR, "buf"), f(U64, "data"), f(U64, "tag"));
    static final StructLayout FI_CQ_ERR_ENTRY = struct("fi_cq_err_entry", f(PTR, "op_context"), f(U64, "flags"),
            f(SIZE, "len"), f(PTR, "buf"), f(U64, "data"), f(U64, "tag"), f(SIZE, "olen"), f(INT, "err"),
            f(INT, "prov_errno"), f(PTR, "err_data"), f(SIZE, "err_data_size"));
    static final StructLayout IOVEC = struct("iovec", f(PTR, "iov_base"), f(SIZE, "iov_len"));
    static final StructLayout FI_RMA_IOV = struct("fi_rma_iov", f(U64, "addr"), f(SIZE, "len"), f(U64, "key"));
    static final StructLayout FI_MSG_RMA = struct("fi_msg_rma", f(PTR, "msg_iov"), f(PTR, "desc"),
            f(SIZE, "iov_count"), f(U64, "addr"), f(PTR, "rma_iov"), f(SIZE, "rma_iov_count"), f(PTR, "context"),
            f(U64, "data"));
    /** {@code struct fi_context2}: scratch space a provider may use per operation (FI_CONTEXT2 mode). */
    static final long FI_CONTEXT2_SIZE = 8 * 8;

    // ---- field offsets used elsewhere ----------------------------------------------------------
    static final long INFO_NEXT = off(FI_INFO, "next");
    static final long INFO_CAPS = off(FI_INFO, "caps");
    static final long INFO_MODE = off(FI_INFO, "mode");
    static final long INFO_ADDR_FORMAT = off(FI_INFO, "addr_format");
    static final long INFO_TX_ATTR = off(FI_INFO, "tx_attr");
    static final long INFO_RX_ATTR = off(FI_INFO, "rx_attr");
    static final long INFO_EP_ATTR = off(FI_INFO, "ep_attr");
    static final long INFO_DOMAIN_ATTR = off(FI_INFO, "domain_attr");
    static final long INFO_FABRIC_ATTR = off(FI_INFO, "fabric_attr");
    static final long TX_CAPS = off(FI_TX_ATTR, "caps");
    static final long TX_INJECT_SIZE = off(FI_TX_ATTR, "inject_size");
    static final long TX_IOV_LIMIT = off(FI_TX_ATTR, "iov_limit");
    static final long TX_SIZE = off(FI_TX_ATTR, "size");
    static final long RX_SIZE = off(FI_RX_ATTR, "size");
    static final long EP_TYPE = off(FI_EP_ATTR, "type");
    static final long EP_MAX_MSG_SIZE = off(FI_EP_ATTR, "max_msg_size");
    static final long DOM_NAME = off(FI_DOMAIN_ATTR, "name");
    static final long DOM_THREADING = off(FI_DOMAIN_ATTR, "threading");
    static final long DOM_DATA_PROGRESS = off(FI_DOMAIN_ATTR, "data_progress");
    static final long DOM_AV_TYPE = off(FI_DOMAIN_ATTR, "av_type");
    static final long DOM_MR_MODE = off(FI_DOMAIN_ATTR, "mr_mode");
    static final long DOM_MR_KEY_SIZE = off(FI_DOMAIN_ATTR, "mr_key_size");
    static final long DOM_CQ_DATA_SIZE = off(FI_DOMAIN_ATTR, "cq_data_size");
    static final long FAB_NAME = off(FI_FABRIC_ATTR, "name");
    static final long FAB_PROV_NAME = off(FI_FABRIC_ATTR, "prov_name");
    static final long FAB_PROV_VERSION = off(FI_FABRIC_ATTR, "prov_version");
    static final long FAB_API_VERSION = off(FI_FABRIC_ATTR, "api_version");
    static final long FID_OPS = off(FID, "ops");
    static final long MR_DESC = off(FID_MR, "mem_desc");
    static final long MR_KEY = off(FID_MR, "key");
    static final long CQE_OP_CONTEXT = off(FI_CQ_TAGGED_ENTRY, "op_context");
    static final long CQE_FLAGS = off(FI_CQ_TAGGED_ENTRY, "flags");
    static final long CQE_LEN = off(FI_CQ_TAGGED_ENTRY, "len");
    static final long CQE_DATA = off(FI_CQ_TAGGED_ENTRY, "data");
    static final long CQE_TAG = off(FI_CQ_TAGGED_ENTRY, "tag");
    static final long CQERR_ERR = off(FI_CQ_ERR_ENTRY, "err");
    static final long CQERR_PROV_ERRNO = off(FI_CQ_ERR_ENTRY, "prov_errno");
    static final long CQERR_FLAGS = off(FI_CQ_ERR_ENTRY, "flags");
    static final long CQERR_OP_CONTEXT = off(FI_CQ_ERR_ENTRY, "op_context");
    static final long CQERR_TAG = off(FI_CQ_ERR_ENTRY, "tag");

    // ---- function-pointer signatures (one handle per C signature) -----------------------------
    private static final Linker LINKER = Linker.nativeLinker();

    static MethodHandle fnptr(FunctionDescriptor fd) {
        return LINKER.downcallHandle(fd);
    }

    /**
     * Hot-path calls. Buffer and descriptor pointers are passed as {@code long} (same register
     * class as a pointer on LP64), so a write never wraps an address in a new MemorySegment.
     * {@code Linker.Option.critical} is deliberately not used: a provider call that blocks (shm
     * waiting on a peer's lock, tcp on a full socket) inside a critical downcall would stall every
     * JVM safepoint, freezing all threads.
     */
    static MethodHandle fnptrHot(FunctionDescriptor fd) {
        return LINKER.downcallHandle(fd);
    }

    /** int (*)(fid*) — close, ep enable via control is separate. */
    static final MethodHandle CALL_CLOSE = fnptr(FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** int (*)(fid*, fid*, uint64_t) — bind. */
    static final MethodHandle CALL_BIND = fnptr(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    /** int (*)(fid*, int, void*) — control. */
    static final MethodHandle CALL_CONTROL = fnptr(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    /** int (*)(parent*, attr_or_info*, child**, void* ctx) — domain, av_open, cq_open, endpoint. */
    static final MethodHandle CALL_OPEN4 = fnptr(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    /** int (*)(domain*, int datatype, int op, fi_atomic_attr*, uint64_t flags) — query_atomic. */
    static final MethodHandle CALL_QUERY_ATOMIC = fnptr(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    /** int (*)(fid*, buf, len, access, offset, requested_key, flags, fid_mr**, ctx) — mr reg. */
    static final MethodHandle CALL_MR_REG = fnptr(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    /** int (*)(fid*, void* addr, size_t* addrlen) — getname. */
    static final MethodHandle CALL_GETNAME = fnptr(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    /** int (*)(av*, addr, count, fi_addr_t*, flags, ctx) — av insert. */
    static final MethodHandle CALL_AV_INSERT = fnptr(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
    /** int (*)(ep*, datatype, op, size_t* count) — atomic valid queries. */
    static final MethodHandle CALL_ATOMIC_VALID = fnptr(
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));

    /** ssize_t (*)(cq*, buf, count) — fi_cq_read. */
    static final MethodHandle CALL_CQ_READ = fnptrHot(FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    /** ssize_t (*)(cq*, fi_cq_err_entry*, flags) — fi_cq_readerr. */
    static final MethodHandle CALL_CQ_READERR = fnptr(FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    /** ssize_t (*)(cq*, buf, count, cond, int timeout_ms) — fi_cq_sread; may sleep. */
    static final MethodHandle CALL_CQ_SREAD = fnptr(
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT));
    /** ssize_t (*)(ep*, buf, len, desc, data, dest, addr, key, ctx) — fi_writedata. */
    static final MethodHandle CALL_WRITEDATA = fnptrHot(FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
    /** ssize_t (*)(ep*, buf, len, data, dest, addr, key) — fi_inject_writedata. */
    static final MethodHandle CALL_INJECT_WRITEDATA = fnptrHot(FunctionDescriptor.of(JAVA_LONG, ADDRESS,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    /** ssize_t (*)(ep*, fi_msg_rma*, flags) — fi_writemsg. */
    static final MethodHandle CALL_WRITEMSG = fnptrHot(
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    /** ssize_t (*)(ep*, buf, len, desc, src, tag, ignore, ctx) — fi_trecv. */
    static final MethodHandle CALL_TRECV = fnptrHot(FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    /** ssize_t (*)(ep*, buf, len, desc, data, dest, tag, ctx) — fi_tsenddata. */
    static final MethodHandle CALL_TSENDDATA = fnptrHot(FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
    /** ssize_t (*)(ep*, buf, len, data, dest, tag) — fi_tinjectdata. */
    static final MethodHandle CALL_TINJECTDATA = fnptrHot(FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    /** ssize_t (*)(ep*, buf, count, desc, result, result_desc, dest, addr, key, datatype, op, ctx). */
    static final MethodHandle CALL_FETCH_ATOMIC = fnptr(FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS,
            JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS));

    // ---- exported library functions -------------------------------------------------------------
    /** Why libfabric could not be loaded, or {@code null} when it was. */
    static final String UNAVAILABLE;
    private static final MethodHandle GETINFO;
    private static final MethodHandle FREEINFO;
    private static final MethodHandle DUPINFO;
    private static final MethodHandle FABRIC;
    private static final MethodHandle STRERROR;
    private static final MethodHandle VERSION;
    private static final MethodHandle STRDUP;

    static {
        LibfabricLoad.Result loaded = LOAD.join();
        SymbolLookup lib = loaded.library();
        UNAVAILABLE = loaded.unavailable();
        if (lib != null) {
            GETINFO = LINKER.downcallHandle(lib.findOrThrow("fi_getinfo"),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
            FREEINFO = LINKER.downcallHandle(lib.findOrThrow("fi_freeinfo"), FunctionDescriptor.ofVoid(ADDRESS));
            DUPINFO = LINKER.downcallHandle(lib.findOrThrow("fi_dupinfo"), FunctionDescriptor.of(ADDRESS, ADDRESS));
            FABRIC = LINKER.downcallHandle(lib.findOrThrow("fi_fabric"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
            STRERROR = LINKER.downcallHandle(lib.findOrThrow("fi_strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
            VERSION = LINKER.downcallHandle(lib.findOrThrow("fi_version"), FunctionDescriptor.of(JAVA_INT));
        } else {
            GETINFO = FREEINFO = DUPINFO = FABRIC = STRERROR = VERSION = null;
        }
        STRDUP = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("strdup"),
                FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    /** Throws the "install libfabric" error when the library is missing. */
    static void requireLibrary() {
        if (UNAVAILABLE != null) {
            throw new TransportException(UNAVAILABLE);
        }
    }

    static int getinfo(int version, MemorySegment node, MemorySegment service, long flags, MemorySegment hints,
            MemorySegment infoOut) {
        // Providers are loaded and initialised at the first call: the same guard as the library's load.
        MemorySegment signals = LibfabricLoad.Signals.save();
        try {
            return (int) GETINFO.invokeExact(version, node, service, flags, hints, infoOut);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            LibfabricLoad.Signals.restore(signals);
        }
    }

    static void freeinfo(MemorySegment info) {
        try {
            FREEINFO.invokeExact(info);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code fi_allocinfo()} is the inline {@code fi_dupinfo(NULL)}. */
    static MemorySegment allocinfo() {
        try {
            MemorySegment info = (MemorySegment) DUPINFO.invokeExact(MemorySegment.NULL);
            if (info.equals(MemorySegment.NULL)) {
                throw new TransportException("fi_allocinfo: out of memory");
            }
            return info.reinterpret(FI_INFO.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fabric(MemorySegment attr, MemorySegment fabricOut) {
        try {
            return (int) FABRIC.invokeExact(attr, fabricOut, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The library's runtime API version (major << 16 | minor). */
    static int runtimeVersion() {
        try {
            return (int) VERSION.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code fi_strerror} of a (positive or negative) libfabric error number. */
    static String strerror(long err) {
        if (UNAVAILABLE != null) {
            return "error " + err;
        }
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact((int) Math.abs(err));
            return s.reinterpret(256).getString(0) + " (" + err + ")";
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A malloc'ed copy of {@code s}, for fields that {@code fi_freeinfo} frees. */
    static MemorySegment strdup(String s) {
        try (Arena a = Arena.ofConfined()) {
            return (MemorySegment) STRDUP.invokeExact(a.allocateFrom(s));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Throws a TransportException unless {@code ret} is 0 (libfabric returns negative errno). */
    static void check(long ret, String what) {
        if (ret != 0) {
            throw new TransportException(what + " failed: " + strerror(ret));
        }
    }

    /** Reads a pointer field and widens it to {@code size} bytes. */
    static MemorySegment ptr(MemorySegment s, long offset, long size) {
        return s.get(ADDRESS, offset).reinterpret(size);
    }

    /** The function pointer {@code field} of the ops table at {@code opsOffset} of object {@code obj}. */
    static MemorySegment fn(MemorySegment obj, long opsOffset, StructLayout table, String field) {
        MemorySegment ops = obj.reinterpret(opsOffset + 8).get(ADDRESS, opsOffset).reinterpret(table.byteSize());
        long fieldOffset = off(table, field);
        long tableSize = ops.get(JAVA_LONG, 0);
        if (tableSize != 0 && tableSize < fieldOffset + 8) {
            // Older providers ship shorter tables; calling past their end would jump into garbage.
            return MemorySegment.NULL;
        }
        return ops.get(ADDRESS, fieldOffset);
    }

    /** Function pointer from an object's {@code struct fid} ops ({@code close}, {@code bind}, {@code control}). */
    static MemorySegment fidFn(MemorySegment obj, String field) {
        return fn(obj, FID_OPS, FI_OPS, field);
    }

    /** {@code fi_close(&obj->fid)}; NULL is ignored. */
    static int close(MemorySegment obj) {
        if (obj == null || obj.equals(MemorySegment.NULL)) {
            return 0;
        }
        try {
            return (int) CALL_CLOSE.invokeExact(fidFn(obj, "close"), obj);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new TransportException("native call failed: " + t, t);
    }
}
