// A minimal Postgres-protocol-agnostic TCP relay, to measure what an in-kernel relay would buy the proxy's
// data phase (scripts/bench-relay). Two modes:
//   user    : one epoll thread reads each side and writes the other (what PgProxy's Splice does, minus the JVM)
//   sockmap : both sockets of a pair go into a BPF sockhash at accept time; an SK_SKB verdict program redirects
//             every received skb to the other socket's egress, so bytes never reach user space. This process
//             only watches for EOF to close the pair.
// Backend: "tcp:PORT" on 127.0.0.1 or a unix socket path (user mode only: a TCP -> unix redirect stalled here).
// Needs root (CAP_BPF/CAP_NET_ADMIN) for sockmap. Not part of the product: a measurement prototype.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int bpf(int cmd, union bpf_attr *a) { return syscall(SYS_bpf, cmd, a, sizeof(*a)); }
#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
static int sockhash, peers;
static char verifier_log[65536];

static int map(int type, int key, int value) {
    union bpf_attr a = {0};
    a.map_type = type; a.key_size = key; a.value_size = value; a.max_entries = 4096;
    int fd = bpf(BPF_MAP_CREATE, &a);
    if (fd < 0) { perror("bpf map"); exit(1); }
    return fd;
}

// sockhash: socket cookie -> socket; peers: socket cookie -> the other socket's cookie.
// Program: r0 = redirect(skb, sockhash, peers[cookie(skb)]) or SK_PASS when the socket has no peer.
static void setup_bpf(void) {
    sockhash = map(BPF_MAP_TYPE_SOCKHASH, 8, 8);
    peers = map(BPF_MAP_TYPE_HASH, 8, 8);
    struct bpf_insn p[] = {
        INSN(0xbf, 6, 1, 0, 0),                       // r6 = r1 (skb)
        INSN(0x85, 0, 0, 0, BPF_FUNC_get_socket_cookie),
        INSN(0x7b, 10, 0, -8, 0),                     // *(u64 *)(r10 - 8) = r0
        INSN(0x18, 1, BPF_PSEUDO_MAP_FD, 0, peers), INSN(0, 0, 0, 0, 0),
        INSN(0xbf, 2, 10, 0, 0), INSN(0x07, 2, 0, 0, -8),
        INSN(0x85, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        INSN(0x15, 0, 0, 10, 0),                      // if r0 == 0 goto pass
        INSN(0x79, 1, 0, 0, 0),                       // r1 = *(u64 *)r0
        INSN(0x7b, 10, 1, -16, 0),
        INSN(0xbf, 1, 6, 0, 0),
        INSN(0x18, 2, BPF_PSEUDO_MAP_FD, 0, sockhash), INSN(0, 0, 0, 0, 0),
        INSN(0xbf, 3, 10, 0, 0), INSN(0x07, 3, 0, 0, -16),
        INSN(0xb7, 4, 0, 0, 0),                       // flags 0: the peer's egress
        INSN(0x85, 0, 0, 0, BPF_FUNC_sk_redirect_hash),
        INSN(0x95, 0, 0, 0, 0),
        INSN(0xb7, 0, 0, 0, SK_PASS),                 // pass:
        INSN(0x95, 0, 0, 0, 0),
    };
    union bpf_attr a = {0};
    a.prog_type = BPF_PROG_TYPE_SK_SKB; a.insns = (uint64_t)p; a.insn_cnt = sizeof p / sizeof p[0];
    a.license = (uint64_t)"GPL"; a.log_buf = (uint64_t)verifier_log; a.log_size = sizeof verifier_log; a.log_level = 1;
    int prog = bpf(BPF_PROG_LOAD, &a);
    if (prog < 0) { perror("bpf prog"); fprintf(stderr, "%s\n", verifier_log); exit(1); }
    memset(&a, 0, sizeof a);
    a.target_fd = sockhash; a.attach_bpf_fd = prog; a.attach_type = BPF_SK_SKB_VERDICT;
    if (bpf(BPF_PROG_ATTACH, &a) < 0) { perror("bpf attach"); exit(1); }
}

static uint64_t cookie(int fd) {
    uint64_t c; socklen_t l = sizeof c;
    if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &l) < 0) { perror("SO_COOKIE"); exit(1); }
    return c;
}

static int update(int m, uint64_t key, uint64_t value) {
    union bpf_attr a = {0};
    a.map_fd = m; a.key = (uint64_t)&key; a.value = (uint64_t)&value;
    return bpf(BPF_MAP_UPDATE_ELEM, &a);
}

// Before any byte of the pair is relayed: the client sends nothing until the backend answers, and that answer
// arrives after both sockets are in the map.
static int link_pair(int a, int b) {
    uint64_t ca = cookie(a), cb = cookie(b);
    if (update(peers, ca, cb) || update(peers, cb, ca) || update(sockhash, ca, a) || update(sockhash, cb, b)) {
        perror("sockhash update");
        return -1;
    }
    return 0;
}


// bypass: for clients on this machine. A cgroup sock_ops program puts every local TCP socket whose local or remote
// port is in `ports` into `tuples` (a sockhash keyed by its 4-tuple); an SK_MSG program on that sockhash redirects
// what the client's socket sends straight into the receive queue of postgres' socket of the paired backend
// connection, and back (BPF_F_INGRESS, in the sender's own sendmsg: no worker, no hop). The relay's own two sockets
// carry only the close. Keys are {local_ip4, remote_ip4, local_port (host order), remote_port (be16 << 16)}, the
// form both program types read from their context.
struct tuple { uint32_t local_ip, remote_ip, local_port, remote_port; };
static int tuples, redirs, ports;

static int load(int type, struct bpf_insn *p, int n) {
    union bpf_attr a = {0};
    a.prog_type = type; a.insns = (uint64_t)p; a.insn_cnt = n;
    a.license = (uint64_t)"GPL"; a.log_buf = (uint64_t)verifier_log; a.log_size = sizeof verifier_log; a.log_level = 1;
    int prog = bpf(BPF_PROG_LOAD, &a);
    if (prog < 0) { perror("bpf prog"); fprintf(stderr, "%s\n", verifier_log); exit(1); }
    return prog;
}

// r2 = ctx field at off; *(u32 *)(r10 + st) = r2
#define KEYFIELD(off, st) INSN(0x61, 2, 6, off, 0), INSN(0x63, 10, 2, st, 0)

static void setup_bypass(void) {
    tuples = map(BPF_MAP_TYPE_SOCKHASH, 16, 8);
    redirs = map(BPF_MAP_TYPE_HASH, 16, 16);
    ports = map(BPF_MAP_TYPE_HASH, 4, 4);
    struct bpf_insn ops[] = {   // struct bpf_sock_ops: op 0, family 20, remote_ip4 24, local_ip4 28, remote_port 64, local_port 68
        INSN(0xbf, 6, 1, 0, 0),
        INSN(0x61, 2, 6, 0, 0),
        INSN(0x15, 2, 0, 2, BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB),   // -> family check
        INSN(0x15, 2, 0, 1, BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB),
        INSN(0x05, 0, 0, 29, 0),                                   // goto out
        INSN(0x61, 2, 6, 20, 0),
        INSN(0x55, 2, 0, 27, 2),                                   // if family != AF_INET goto out
        KEYFIELD(28, -16), KEYFIELD(24, -12), KEYFIELD(68, -8), KEYFIELD(64, -4),
        INSN(0x18, 1, BPF_PSEUDO_MAP_FD, 0, ports), INSN(0, 0, 0, 0, 0),
        INSN(0xbf, 2, 10, 0, 0), INSN(0x07, 2, 0, 0, -8),
        INSN(0x85, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        INSN(0x55, 0, 0, 6, 0),                                    // if r0 != 0 goto update
        INSN(0x18, 1, BPF_PSEUDO_MAP_FD, 0, ports), INSN(0, 0, 0, 0, 0),
        INSN(0xbf, 2, 10, 0, 0), INSN(0x07, 2, 0, 0, -4),
        INSN(0x85, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        INSN(0x15, 0, 0, 7, 0),                                    // if r0 == 0 goto out
        INSN(0xbf, 1, 6, 0, 0),                                    // update:
        INSN(0x18, 2, BPF_PSEUDO_MAP_FD, 0, tuples), INSN(0, 0, 0, 0, 0),
        INSN(0xbf, 3, 10, 0, 0), INSN(0x07, 3, 0, 0, -16),
        INSN(0xb7, 4, 0, 0, BPF_ANY),
        INSN(0x85, 0, 0, 0, BPF_FUNC_sock_hash_update),
        INSN(0xb7, 0, 0, 0, 1),                                    // out:
        INSN(0x95, 0, 0, 0, 0),
    };
    struct bpf_insn msg[] = {   // struct sk_msg_md: family 16, remote_ip4 20, local_ip4 24, remote_port 60, local_port 64
        INSN(0xbf, 6, 1, 0, 0),
        INSN(0x61, 2, 6, 16, 0),
        INSN(0x55, 2, 0, 26, 2),                                   // if family != AF_INET goto pass
        KEYFIELD(24, -16), KEYFIELD(20, -12), KEYFIELD(64, -8), KEYFIELD(60, -4),
        INSN(0x18, 1, BPF_PSEUDO_MAP_FD, 0, redirs), INSN(0, 0, 0, 0, 0),
        INSN(0xbf, 2, 10, 0, 0), INSN(0x07, 2, 0, 0, -16),
        INSN(0x85, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        INSN(0x15, 0, 0, 12, 0),                                   // if r0 == 0 goto pass
        INSN(0x79, 1, 0, 0, 0), INSN(0x7b, 10, 1, -32, 0),
        INSN(0x79, 1, 0, 8, 0), INSN(0x7b, 10, 1, -24, 0),
        INSN(0xbf, 1, 6, 0, 0),
        INSN(0x18, 2, BPF_PSEUDO_MAP_FD, 0, tuples), INSN(0, 0, 0, 0, 0),
        INSN(0xbf, 3, 10, 0, 0), INSN(0x07, 3, 0, 0, -32),
        INSN(0xb7, 4, 0, 0, BPF_F_INGRESS),
        INSN(0x85, 0, 0, 0, BPF_FUNC_msg_redirect_hash),
        INSN(0x95, 0, 0, 0, 0),
        INSN(0xb7, 0, 0, 0, SK_PASS),                              // pass:
        INSN(0x95, 0, 0, 0, 0),
    };
    int ops_prog = load(BPF_PROG_TYPE_SOCK_OPS, ops, sizeof ops / sizeof ops[0]);
    int msg_prog = load(BPF_PROG_TYPE_SK_MSG, msg, sizeof msg / sizeof msg[0]);
    union bpf_attr a = {0};
    a.target_fd = tuples; a.attach_bpf_fd = msg_prog; a.attach_type = BPF_SK_MSG_VERDICT;
    if (bpf(BPF_PROG_ATTACH, &a) < 0) { perror("attach sk_msg"); exit(1); }
    int cg = open("/sys/fs/cgroup/unified", O_RDONLY | O_DIRECTORY);
    if (cg < 0) cg = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
    memset(&a, 0, sizeof a);  // a link: detached when this process exits, whatever way it exits
    a.link_create.prog_fd = ops_prog; a.link_create.target_fd = cg; a.link_create.attach_type = BPF_CGROUP_SOCK_OPS;
    if (bpf(BPF_LINK_CREATE, &a) < 0) { perror("link sock_ops"); exit(1); }
}

static void watch_port(uint32_t key) {
    uint32_t one = 1;
    union bpf_attr a = {0};
    a.map_fd = ports; a.key = (uint64_t)&key; a.value = (uint64_t)&one;
    if (bpf(BPF_MAP_UPDATE_ELEM, &a)) perror("ports");
}

// the far ends: the client's socket (its peer is our accepted socket c) and postgres' (its peer is our socket b)
static struct tuple far_end(int fd) {
    struct sockaddr_in me, peer; socklen_t l1 = sizeof me, l2 = sizeof peer;
    getsockname(fd, (void *)&me, &l1); getpeername(fd, (void *)&peer, &l2);
    return (struct tuple){peer.sin_addr.s_addr, me.sin_addr.s_addr, ntohs(peer.sin_port), (uint32_t)me.sin_port << 16};
}

static int bypass_pair(int c, int b) {
    struct tuple client = far_end(c), pg = far_end(b);
    union bpf_attr a = {0};
    a.map_fd = redirs; a.key = (uint64_t)&client; a.value = (uint64_t)&pg;
    if (bpf(BPF_MAP_UPDATE_ELEM, &a)) { perror("redir"); return -1; }
    a.key = (uint64_t)&pg; a.value = (uint64_t)&client;
    if (bpf(BPF_MAP_UPDATE_ELEM, &a)) { perror("redir"); return -1; }
    return 0;
}

static int connect_backend(const char *where) {
    int one = 1, fd;
    if (!strncmp(where, "tcp:", 4)) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(where + 4)), .sin_addr.s_addr = htonl(0x7f000001)};
        if (connect(fd, (void *)&sa, sizeof sa) == 0) return fd;
    } else {
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un ua = {.sun_family = AF_UNIX};
        strncpy(ua.sun_path, where, sizeof ua.sun_path - 1);
        if (connect(fd, (void *)&ua, sizeof ua) == 0) return fd;
    }
    perror("backend connect");
    close(fd);
    return -1;
}

static int peer_of[65536];

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: relay PORT tcp:PORT|UNIX_PATH user|sockmap|bypass\n"); return 2; }
    int port = atoi(argv[1]), in_kernel = !strcmp(argv[3], "sockmap"), bypass = !strcmp(argv[3], "bypass"), one = 1;
    if (in_kernel) setup_bpf();
    if (bypass) {
        if (strncmp(argv[2], "tcp:", 4)) { fprintf(stderr, "bypass needs a tcp: backend\n"); return 2; }
        setup_bypass();
        watch_port((uint32_t)htons(port) << 16);  // client sockets: remote port = ours
        watch_port(atoi(argv[2] + 4));            // postgres' sockets: local port = postgres'
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
    if (bind(ls, (void *)&sa, sizeof sa) || listen(ls, 128)) { perror("listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    static char buf[65536];
    struct epoll_event evs[64];
    fprintf(stderr, "relay (%s) on 127.0.0.1:%d -> %s\n", argv[3], port, argv[2]);
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c = accept(ls, 0, 0);
                if (c < 0) continue;
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                int b = connect_backend(argv[2]);
                if (b < 0 || c >= 65536 || b >= 65536 || (in_kernel && link_pair(c, b)) || (bypass && bypass_pair(c, b))) { close(c); if (b >= 0) close(b); continue; }
                peer_of[c] = b; peer_of[b] = c;
                // non-blocking: epoll may report a socket readable whose bytes the kernel then redirects away
                fcntl(c, F_SETFL, O_NONBLOCK); fcntl(b, F_SETFL, O_NONBLOCK);
                struct epoll_event e1 = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c}, e2 = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = b};
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &e1);
                epoll_ctl(ep, EPOLL_CTL_ADD, b, &e2);
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0) { close(peer_of[fd]); close(fd); continue; }
            for (ssize_t o = 0; o < r;) {
                ssize_t w = write(peer_of[fd], buf + o, r - o);
                if (w < 0 && errno == EAGAIN) { usleep(50); continue; }  // prototype: wait out a full peer
                if (w < 0) break;
                o += w;
            }
        }
    }
}
