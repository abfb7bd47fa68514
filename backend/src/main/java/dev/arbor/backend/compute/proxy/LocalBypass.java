package dev.arbor.backend.compute.proxy;

import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The data phase of a plaintext connection from a client on this machine, taken out of user space. Relaying in
 * the proxy costs two extra wakeups and four syscalls per round trip, which halved pgbench's TPS on 2 cores, and a
 * relay in C did no better (scripts/bench-relay). Here the kernel moves the bytes: a cgroup {@code sock_ops} program
 * puts every loopback TCP socket whose local or remote port is watched (the proxy's listener, each postgres' port)
 * into a sockhash, and an {@code SK_MSG} program on that sockhash sends what the client's own
 * socket writes straight into the receive queue of postgres' socket of the paired backend connection, and back,
 * inside the sender's {@code sendmsg}. The proxy's two sockets then carry only the close.
 *
 * <p>Sockets are found by their 4-tuple {@code {local ip, remote ip, local port (host order), remote port
 * (big-endian in the upper half)}}, addresses as 16 bytes (IPv4 as {@code ::ffff:a.b.c.d}, so IPv4, IPv6 and
 * Java's dual-stack sockets compare alike), the form {@code sock_ops} builds from its context, which maps it to the socket's
 * cookie; redirects go from cookie to cookie. Cookies are never reused, so a redirect deleted late (after a close)
 * can never wire a new connection that reuses the 4-tuple into an old session. A pair is only redirected once both
 * far sockets are known (checked from here); anything that reaches the proxy's sockets anyway is relayed by
 * {@link Splice}.
 *
 * <p>Needs root (CAP_BPF, CAP_NET_ADMIN), cgroup v2 and x86-64 or arm64 Linux; {@link #open()} says why not.
 * The cgroup attachment is a BPF link and the maps are this process' file descriptors: if the JVM dies, the
 * kernel drops all of it, so no stale redirect can outlive its connections.
 */
final class LocalBypass implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalBypass.class);

    private static final int MAP_CREATE = 0, MAP_LOOKUP = 1, MAP_UPDATE = 2, MAP_DELETE = 3, PROG_LOAD = 5,
            PROG_ATTACH = 8, LINK_CREATE = 28;
    private static final int HASH = 1, LRU_HASH = 9, SOCKHASH = 18;
    private static final int SOCK_OPS = 13, SK_MSG = 16, CGROUP_SOCK_OPS = 3, SK_MSG_VERDICT = 7;
    private static final int LOOKUP = 1, UPDATE = 2, SOCKET_COOKIE = 46, SOCK_HASH_UPDATE = 70, MSG_REDIRECT_HASH = 71;
    private static final int ATTR_SIZE = 144, KEY = 40;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private final long sysBpf;
    private final int sockets, cookies, redirects, ports;
    private final int[] fds;
    private final Set<Integer> watchedServers = new HashSet<>();  // guarded by this
    private volatile boolean closed;

    private LocalBypass(long sysBpf, int sockets, int cookies, int redirects, int ports, int[] fds) {
        this.sysBpf = sysBpf;
        this.sockets = sockets;
        this.cookies = cookies;
        this.redirects = redirects;
        this.ports = ports;
        this.fds = fds;
    }

    /** Loads and attaches the programs, or says (at info) why local clients keep the user-space relay. */
    static Optional<LocalBypass> open() {
        if (!Boolean.parseBoolean(System.getProperty("arbor.proxy.bypass", "true"))) return Optional.empty();
        long sys = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 321;
            case "aarch64" -> 280;
            default -> -1;
        };
        if (sys < 0 || !System.getProperty("os.name").equals("Linux")) {
            log.info("local kernel bypass off: needs Linux on x86-64 or arm64");
            return Optional.empty();
        }
        Optional<Path> cgroup = cgroup2Root();
        if (cgroup.isEmpty()) {
            log.info("local kernel bypass off: no cgroup v2 mount");
            return Optional.empty();
        }
        int[] fds = new int[7];
        int n = 0;
        try (Arena arena = Arena.ofConfined()) {
            Bpf bpf = new Bpf(sys, arena);
            int sockets = fds[n++] = bpf.map(SOCKHASH, 8, 8, 65536);      // cookie -> socket
            int cookies = fds[n++] = bpf.map(LRU_HASH, KEY, 8, 65536);     // 4-tuple -> cookie (closed ones age out)
            int redirects = fds[n++] = bpf.map(HASH, 8, 8, 65536);         // cookie -> partner's cookie
            int ports = fds[n++] = bpf.map(LRU_HASH, 4, 4, 4096);          // old postgres ports age out
            int ops = fds[n++] = bpf.load(SOCK_OPS, sockOpsProgram(ports, sockets, cookies));
            int msg = fds[n++] = bpf.load(SK_MSG, msgProgram(cookies, redirects, sockets));
            MemorySegment a = bpf.attr();
            a.set(JAVA_INT, 0, sockets);
            a.set(JAVA_INT, 4, msg);
            a.set(JAVA_INT, 8, SK_MSG_VERDICT);
            bpf.call(PROG_ATTACH, a, "attach the SK_MSG program");
            int cg = (int) OPEN.invokeExact(bpf.capture, arena.allocateFrom(cgroup.get().toString()), 0 /* O_RDONLY */);
            if (cg < 0) throw new IllegalStateException("open " + cgroup.get() + ": errno " + bpf.errno());
            try {
                a = bpf.attr();  // a link, not an attachment: it goes away with this process
                a.set(JAVA_INT, 0, ops);
                a.set(JAVA_INT, 4, cg);
                a.set(JAVA_INT, 8, CGROUP_SOCK_OPS);
                fds[n++] = bpf.call(LINK_CREATE, a, "link the sock_ops program to " + cgroup.get());
            } finally {
                int ignored = (int) CLOSE.invokeExact(cg);
            }
            log.info("local kernel bypass on: plaintext clients on this machine talk to postgres without the proxy in the data path");
            return Optional.of(new LocalBypass(sys, sockets, cookies, redirects, ports, fds));
        } catch (Throwable e) {
            for (int i = 0; i < n; i++) closeFd(fds[i]);
            log.info("local kernel bypass off: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /** Sockets whose remote port is {@code port}: clients of the proxy's listener. */
    void watchClientsOf(int port) { setWatched(remotePortKey(port), true); }

    /**
     * Sockets whose local port is {@code port}: postgres' ends of connections to it. Ports of postgres servers no
     * longer in {@code live} stop being watched, so an unrelated server that later takes such a port keeps its
     * sockets out of the sockhash (only new sockets are affected: connections already paired keep their redirect).
     */
    synchronized void watchServer(int port, Set<Integer> live) {
        setWatched(port, true);
        watchedServers.add(port);
        for (var it = watchedServers.iterator(); it.hasNext(); ) {
            int p = it.next();
            if (p == port || live.contains(p)) continue;
            setWatched(p, false);
            it.remove();
        }
    }

    /** Whether new sockets on this postgres port go into the sockhash (for tests). */
    synchronized boolean watchingServer(int port) {
        if (closed) return false;
        try (Arena arena = Arena.ofConfined()) {
            return new Bpf(sysBpf, arena).lookup(ports, arena.allocateFrom(JAVA_INT, port), arena.allocate(4));
        }
    }

    /** Adds or removes a key of the ports map; a failure only costs speed, so it is logged and left. */
    private void setWatched(int key, boolean watched) {
        if (closed) return;
        try (Arena arena = Arena.ofConfined()) {
            Bpf bpf = new Bpf(sysBpf, arena);
            MemorySegment k = arena.allocateFrom(JAVA_INT, key);
            if (watched) bpf.update(ports, k, arena.allocate(4));
            else bpf.delete(ports, k);
        } catch (RuntimeException e) {
            log.debug("{} port key {} failed ({}): {}", watched ? "watching" : "unwatching", key,
                    watched ? "its connections relay in user space" : "the LRU map ages it out", e.toString());
        }
    }

    /**
     * Redirects between the client behind {@code client} (the proxy's accepted socket) and postgres behind
     * {@code backend} (the proxy's connection to it), if both far sockets are IPv4 loopback and known.
     * Call before postgres can answer anything the proxy should not see. Empty: keep relaying in user space.
     */
    Optional<Pair> pair(SocketAddress clientRemote, SocketAddress clientLocal, SocketAddress backendLocal, SocketAddress backendRemote) {
        if (closed) return Optional.empty();
        try (Arena arena = Arena.ofConfined()) {
            Bpf bpf = new Bpf(sysBpf, arena);
            // the far ends: the client's socket sees (its own address, the proxy's listener); postgres' sees (its port, ours)
            MemorySegment c = farEnd(arena, clientRemote, clientLocal), p = farEnd(arena, backendRemote, backendLocal);
            if (c == null || p == null) return Optional.empty();
            MemorySegment cc = arena.allocate(8), pc = arena.allocate(8), any = arena.allocate(8);
            if (!bpf.lookup(cookies, c, cc) || !bpf.lookup(cookies, p, pc)) return Optional.empty();
            if (!bpf.lookup(sockets, cc, any) || !bpf.lookup(sockets, pc, any)) return Optional.empty();  // closed meanwhile
            bpf.update(redirects, cc, pc);
            bpf.update(redirects, pc, cc);
            return Optional.of(new Pair(cc.get(JAVA_LONG, 0), pc.get(JAVA_LONG, 0)));
        } catch (RuntimeException e) {
            log.debug("no kernel bypass for {}: {}", clientRemote, e.toString());
            return Optional.empty();
        }
    }

    /** A redirected connection (two socket cookies); {@link #close()} when either side closes. */
    final class Pair implements AutoCloseable {
        private final long client, server;
        private boolean done;

        private Pair(long client, long server) {
            this.client = client;
            this.server = server;
        }

        @Override public synchronized void close() {
            if (done || closed) return;
            done = true;
            try (Arena arena = Arena.ofConfined()) {
                Bpf bpf = new Bpf(sysBpf, arena);
                bpf.delete(redirects, arena.allocateFrom(JAVA_LONG, client));
                bpf.delete(redirects, arena.allocateFrom(JAVA_LONG, server));
            }
        }
    }

    @Override public void close() {
        closed = true;
        for (int fd : fds) if (fd > 0) closeFd(fd);
    }

    /** {local ip, remote ip, local port, remote port} of the socket at {@code local} talking to {@code remote}. */
    private static MemorySegment farEnd(Arena arena, SocketAddress local, SocketAddress remote) {
        byte[] li = loopback16(local), ri = loopback16(remote);
        if (li == null || ri == null) return null;
        MemorySegment k = arena.allocate(KEY);
        MemorySegment.copy(li, 0, k, JAVA_BYTE, 0, 16);
        MemorySegment.copy(ri, 0, k, JAVA_BYTE, 16, 16);
        k.set(JAVA_INT, 32, local.port());
        k.set(JAVA_INT, 36, remotePortKey(remote.port()));
        return k;
    }

    /** Whether a client at this address runs on this machine (only then can its socket be redirected). */
    static boolean onThisMachine(SocketAddress a) { return loopback16(a) != null; }

    /** The kernel's remote_port: the big-endian 16-bit port in the upper half of a native-order u32. */
    private static int remotePortKey(int port) {
        short be = Short.reverseBytes((short) port);
        return ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? (be & 0xffff) << 16 : port & 0xffff;
    }

    /** A loopback address as 16 bytes, IPv4 as {@code ::ffff:a.b.c.d}; null for any other. */
    private static byte[] loopback16(SocketAddress a) {
        if (a == null || a.hostAddress() == null) return null;
        try {
            InetAddress ip = InetAddress.ofLiteral(a.hostAddress());
            if (!ip.isLoopbackAddress()) return null;
            if (!(ip instanceof Inet4Address)) return ip.getAddress();
            byte[] v = new byte[16];
            v[10] = v[11] = (byte) 0xff;
            System.arraycopy(ip.getAddress(), 0, v, 12, 4);
            return v;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Optional<Path> cgroup2Root() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("cgroup2")) return Optional.of(Path.of(f[1]));
            }
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static void closeFd(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ programs

    private static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R6 = 6, R10 = 10;

    /**
     * sock_ops: on an established IPv4 (or v4-mapped) connection with a watched local or remote port, add the socket
     * to the sockhash under its cookie and remember its 4-tuple's cookie.
     */
    private static Insns sockOpsProgram(int ports, int sockets, int cookies) {
        Insns p = new Insns();
        p.mov(R6, R1);
        p.ldxW(R2, R6, 0);                            // op
        p.jeqImm(R2, 4, "established");               // BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB
        p.jeqImm(R2, 5, "established");               // BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB
        p.ja("out");
        p.label("established");
        p.tupleKey(20, 28, 24, 48, 32, "out");        // family, local_ip4, remote_ip4, local_ip6, remote_ip6
        p.keyField(R6, 68, -8).keyField(R6, 64, -4);  // local_port, remote_port
        p.mapFd(R1, ports).mov(R2, R10).addImm(R2, -8).call(LOOKUP);
        p.jneImm(R0, 0, "add");                       // watched local port
        p.mapFd(R1, ports).mov(R2, R10).addImm(R2, -4).call(LOOKUP);
        p.jeqImm(R0, 0, "out");                       // nor a watched remote port
        p.label("add");
        p.mov(R1, R6).call(SOCKET_COOKIE).stxDw(R10, -48, R0);
        p.mov(R1, R6).mapFd(R2, sockets).mov(R3, R10).addImm(R3, -48).movImm(R4, 0).call(SOCK_HASH_UPDATE);
        p.mapFd(R1, cookies).mov(R2, R10).addImm(R2, -40).mov(R3, R10).addImm(R3, -48).movImm(R4, 0).call(UPDATE);
        p.label("out");
        p.movImm(R0, 1).exit();
        return p;
    }

    /**
     * SK_MSG: a paired socket's send goes into its partner's receive queue; any other passes. (This kernel offers
     * SK_MSG no socket cookie, so the sender is found by its 4-tuple, which sock_ops re-mapped to the current
     * socket's cookie when it connected.)
     */
    private static Insns msgProgram(int cookies, int redirects, int sockets) {
        Insns p = new Insns();
        p.mov(R6, R1);
        p.tupleKey(16, 24, 20, 44, 28, "pass");       // family, local_ip4, remote_ip4, local_ip6, remote_ip6
        p.keyField(R6, 64, -8).keyField(R6, 60, -4);  // local_port, remote_port
        p.mapFd(R1, cookies).mov(R2, R10).addImm(R2, -40).call(LOOKUP);
        p.jeqImm(R0, 0, "pass");
        p.ldxDw(R1, R0, 0).stxDw(R10, -48, R1);
        p.mapFd(R1, redirects).mov(R2, R10).addImm(R2, -48).call(LOOKUP);
        p.jeqImm(R0, 0, "pass");
        p.ldxDw(R1, R0, 0).stxDw(R10, -56, R1);
        p.mov(R1, R6).mapFd(R2, sockets).mov(R3, R10).addImm(R3, -56).movImm(R4, 1 /* BPF_F_INGRESS */).call(MSG_REDIRECT_HASH);
        p.exit();
        p.label("pass");
        p.movImm(R0, 1 /* SK_PASS */).exit();
        return p;
    }

    /** A tiny eBPF assembler: 8-byte instructions, forward jumps to labels. */
    private static final class Insns {
        private final java.util.List<long[]> code = new java.util.ArrayList<>();   // {opcode, dst, src, off, imm}
        private final java.util.Map<String, Integer> labels = new java.util.HashMap<>();
        private final java.util.Map<Integer, String> jumps = new java.util.HashMap<>();

        private Insns op(int code, int dst, int src, int off, int imm) {
            this.code.add(new long[]{code, dst, src, off, imm});
            return this;
        }
        Insns mov(int dst, int src) { return op(0xbf, dst, src, 0, 0); }
        Insns movImm(int dst, int imm) { return op(0xb7, dst, 0, 0, imm); }
        Insns addImm(int dst, int imm) { return op(0x07, dst, 0, 0, imm); }
        Insns ldxW(int dst, int src, int off) { return op(0x61, dst, src, off, 0); }
        Insns ldxDw(int dst, int src, int off) { return op(0x79, dst, src, off, 0); }
        Insns stxW(int dst, int off, int src) { return op(0x63, dst, src, off, 0); }
        Insns stxDw(int dst, int off, int src) { return op(0x7b, dst, src, off, 0); }
        Insns call(int helper) { return op(0x85, 0, 0, 0, helper); }
        Insns exit() { return op(0x95, 0, 0, 0, 0); }
        /** ld_imm64 of a map fd (two slots). */
        Insns mapFd(int dst, int fd) { op(0x18, dst, 1, 0, fd); return op(0, 0, 0, 0, 0); }
        Insns stImm(int dst, int off, int imm) { return op(0x62, dst, 0, off, imm); }
        /** A u32 context field at {@code off} into the key on the stack at {@code slot}. */
        Insns keyField(int ctx, int off, int slot) { return ldxW(R2, ctx, off).stxW(R10, slot, R2); }

        /**
         * The addresses of the socket in context R6 into the key at r10-40 (local) and r10-24 (remote), 16 bytes
         * each: an IPv4 socket's as {@code ::ffff:a.b.c.d}, an IPv6 socket's as they are (a dual-stack socket's
         * IPv4 peer already reads as v4-mapped). Any other family jumps to {@code other}.
         */
        Insns tupleKey(int family, int localIp4, int remoteIp4, int localIp6, int remoteIp6, String other) {
            String v4 = "v4-" + code.size(), done = "addr-" + code.size();
            ldxW(R2, R6, family);
            jeqImm(R2, 2, v4);                             // AF_INET
            jneImm(R2, 10, other);                         // AF_INET6
            for (int i = 0; i < 4; i++) keyField(R6, localIp6 + 4 * i, -40 + 4 * i).keyField(R6, remoteIp6 + 4 * i, -24 + 4 * i);
            ja(done);
            label(v4);
            for (int slot : new int[]{-40, -24}) stImm(R10, slot, 0).stImm(R10, slot + 4, 0).stImm(R10, slot + 8, 0xffff0000);
            keyField(R6, localIp4, -28).keyField(R6, remoteIp4, -12);
            label(done);
            return this;
        }
        Insns jeqImm(int reg, int imm, String to) { jumps.put(code.size(), to); return op(0x15, reg, 0, 0, imm); }
        Insns jneImm(int reg, int imm, String to) { jumps.put(code.size(), to); return op(0x55, reg, 0, 0, imm); }
        Insns ja(String to) { jumps.put(code.size(), to); return op(0x05, 0, 0, 0, 0); }
        void label(String name) { labels.put(name, code.size()); }

        MemorySegment assemble(Arena arena) {
            MemorySegment s = arena.allocate(8L * code.size(), 8);
            for (int i = 0; i < code.size(); i++) {
                long[] c = code.get(i);
                int off = jumps.containsKey(i) ? labels.get(jumps.get(i)) - i - 1 : (int) c[3];
                s.set(JAVA_BYTE, 8L * i, (byte) c[0]);
                s.set(JAVA_BYTE, 8L * i + 1, (byte) ((c[2] << 4) | c[1]));
                s.set(JAVA_BYTE, 8L * i + 2, (byte) off);
                s.set(JAVA_BYTE, 8L * i + 3, (byte) (off >> 8));
                s.set(JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i + 4, (int) c[4]);
            }
            return s;
        }

        int size() { return code.size(); }
    }

    // ------------------------------------------------------------------ bpf(2)

    private static final class Bpf {
        private final long sys;
        private final Arena arena;
        private final MemorySegment capture;

        Bpf(long sys, Arena arena) {
            this.sys = sys;
            this.arena = arena;
            this.capture = arena.allocate(CAPTURE);
        }

        MemorySegment attr() { return arena.allocate(ATTR_SIZE, 8); }

        int errno() { return (int) ERRNO.get(capture, 0L); }

        int call(int cmd, MemorySegment attr, String what) {
            long r;
            try {
                r = (long) SYSCALL.invokeExact(capture, sys, (long) cmd, attr, (long) ATTR_SIZE);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
            if (r < 0) throw new BpfError(what, errno());
            return (int) r;
        }

        int map(int type, int key, int value, int entries) {
            MemorySegment a = attr();
            a.set(JAVA_INT, 0, type);
            a.set(JAVA_INT, 4, key);
            a.set(JAVA_INT, 8, value);
            a.set(JAVA_INT, 12, entries);
            return call(MAP_CREATE, a, "create a map of type " + type);
        }

        int load(int type, Insns p) {
            MemorySegment a = attr(), log = arena.allocate(16384);
            a.set(JAVA_INT, 0, type);
            a.set(JAVA_INT, 4, p.size());
            a.set(ADDRESS, 8, p.assemble(arena));
            a.set(ADDRESS, 16, arena.allocateFrom("Dual MIT/GPL"));
            a.set(JAVA_INT, 24, 1);
            a.set(JAVA_INT, 28, (int) log.byteSize());
            a.set(ADDRESS, 32, log);
            try {
                return call(PROG_LOAD, a, "load a program of type " + type);
            } catch (BpfError e) {
                throw new BpfError(e.getMessage() + "; verifier: " + log.getString(0), e.errno);
            }
        }

        void update(int map, MemorySegment key, MemorySegment value) {
            MemorySegment a = attr();
            a.set(JAVA_INT, 0, map);
            a.set(ADDRESS, 8, key);
            a.set(ADDRESS, 16, value);
            call(MAP_UPDATE, a, "update a map");
        }

        void delete(int map, MemorySegment key) {
            MemorySegment a = attr();
            a.set(JAVA_INT, 0, map);
            a.set(ADDRESS, 8, key);
            try {
                call(MAP_DELETE, a, "delete from a map");
            } catch (BpfError e) {
                if (e.errno != 2) throw e;  // ENOENT: already gone
            }
        }

        /** Looks {@code key} up into {@code value}; false when absent. (A sockhash answers with the socket's cookie.) */
        boolean lookup(int map, MemorySegment key, MemorySegment value) {
            MemorySegment a = attr();
            a.set(JAVA_INT, 0, map);
            a.set(ADDRESS, 8, key);
            a.set(ADDRESS, 16, value);
            try {
                call(MAP_LOOKUP, a, "look up a map");
                return true;
            } catch (BpfError e) {
                if (e.errno == 2) return false;
                throw e;
            }
        }
    }

    private static final class BpfError extends RuntimeException {
        final int errno;

        BpfError(String what, int errno) {
            super(what.contains("errno") ? what : what + ": errno " + errno);
            this.errno = errno;
        }
    }
}
