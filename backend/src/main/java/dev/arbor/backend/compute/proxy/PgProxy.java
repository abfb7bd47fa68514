package dev.arbor.backend.compute.proxy;

import dev.arbor.backend.compute.EndpointNotFound;
import dev.arbor.backend.compute.process.Scram;
import dev.arbor.storage.StorageException;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The one PostgreSQL-protocol listener every endpoint is reached through. It terminates TLS, reads the
 * startup packet to learn the endpoint (startup option {@code endpoint=<id>} or SNI {@code <id>.<domain>},
 * a branch id plus {@code neon_timestamp}/{@code neon_lsn} for time travel) and authenticates the client
 * itself with SCRAM-SHA-256 or, over TLS, SCRAM-SHA-256-PLUS (channel binding to this TLS session, which
 * {@code channel_binding=require} demands). The keys are the role's verifier in the endpoint's own pg_authid
 * (so it wakes the endpoint first; the client simply waits), as postgres itself would check them; read-only
 * computes, whose pg_authid is a snapshot, check API roles against the control plane's passwords instead.
 * Once authenticated, it logs in over the endpoint's private unix socket, where the proxy is trusted, and
 * splices bytes both ways.
 */
public final class PgProxy {
    private static final Logger log = LoggerFactory.getLogger(PgProxy.class);
    private static final int MAX_AUTH_MESSAGE = 16 * 1024;

    private final Vertx vertx;
    private final ProxyBackends backends;
    private final KeyCertOptions tls;
    private final RoleKeys roleKeys = new RoleKeys();
    private NetServer server;
    private NetServer server6;
    private NetClient client;
    private LocalBypass bypass;           // null: every connection relays in user space
    private SslContext sslContext;        // ends TLS for a local client whose ClientHello the proxy has already read
    private final AtomicLong bypassedConnections = new AtomicLong();
    private final AtomicLong relayedConnections = new AtomicLong();

    public PgProxy(Vertx vertx, ProxyBackends backends, KeyCertOptions tls) {
        this.vertx = vertx;
        this.backends = backends;
        this.tls = tls;
    }

    /**
     * Listens on {@code host:port} (0 = any free port); the future holds the actual port. On 127.0.0.1 it also
     * listens on ::1 where it can, since {@code *.localhost} names resolve to both and libpq tries ::1 first.
     */
    public Future<Integer> listen(String host, int port) {
        client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
        bypass = LocalBypass.open().orElse(null);
        if (tls != null && bypass != null) {
            try {
                SslContextBuilder b = SslContextBuilder.forServer(tls.getKeyManagerFactory(vertx));
                if (OpenSsl.isAvailable() && !Boolean.getBoolean("arbor.proxy.jdkTls")) b.sslProvider(SslProvider.OPENSSL);
                sslContext = b.build();
            } catch (Exception e) {
                log.warn("local TLS clients will not be handed through to postgres: {}", e.toString());
            }
        }
        server = vertx.createNetServer(serverOptions(host, port)).connectHandler(s -> new ClientConnection(s).begin());
        return server.listen().map(NetServer::actualPort).compose(p -> {
            if (bypass != null) bypass.watchClientsOf(p);
            if (!host.equals("127.0.0.1")) return Future.succeededFuture(p);
            server6 = vertx.createNetServer(serverOptions("::1", p)).connectHandler(s -> new ClientConnection(s).begin());
            return server6.listen().<Integer>map(x -> p).recover(e -> {
                log.debug("proxy not listening on [::1]:{}: {}", p, e.toString());
                server6 = null;
                return Future.succeededFuture(p);
            });
        }).onSuccess(p -> log.info("postgres proxy listening on {}:{}", host, p));
    }

    private NetServerOptions serverOptions(String host, int port) {
        var opts = new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true);
        if (tls != null) {
            opts.setKeyCertOptions(tls).setSni(true); // TLS starts only after an SSLRequest
            // BoringSSL (netty-tcnative) where it loads: the JDK's engine costs tens of ms per handshake and
            // more CPU per record, which every new connection and every pgbench round trip pays.
            // (-Darbor.proxy.jdkTls=true keeps the JDK engine: a fallback, and the baseline of bench-compute's connect figure)
            if (OpenSSLEngineOptions.isAvailable() && !Boolean.getBoolean("arbor.proxy.jdkTls")) {
                opts.setSslEngineOptions(new OpenSSLEngineOptions());
            }
        }
        return opts;
    }

    /** Whether connections to this postgres port are watched for the kernel bypass (for tests). */
    public boolean bypassWatches(int postgresPort) { return bypass != null && bypass.watchingServer(postgresPort); }

    /** Connections whose data phase the kernel carried ({@link LocalBypass}); for tests and metrics. */
    public long bypassedConnections() { return bypassedConnections.get(); }

    /** Connections whose data phase went through this process ({@link Splice}): remote clients, or no bypass. */
    public long relayedConnections() { return relayedConnections.get(); }

    public Future<Void> close() {
        Future<Void> a = server == null ? Future.succeededFuture() : server.close();
        Future<Void> a6 = server6 == null ? Future.succeededFuture() : server6.close();
        Future<Void> b = client == null ? Future.succeededFuture() : client.close();
        return Future.all(a, a6, b).<Void>mapEmpty().onComplete(x -> { if (bypass != null) bypass.close(); });
    }

    private enum Phase { STARTUP, CLIENT_HELLO, SASL_INITIAL, SASL_RESPONSE, BUSY, DONE }

    /** One client, from its first byte until both sides have closed. Runs on its event loop only. */
    private final class ClientConnection {
        private final NetSocket socket;
        private Buffer pending = Buffer.buffer();
        private Phase phase = Phase.STARTUP;
        private Map<String, String> params;
        private int protocolVersion;
        private EndpointRouting routing;
        private String user;
        private ProxyTarget target;
        private ScramExchange scram;
        private boolean canLogin;
        private Path backendSocket;           // set once the compute is awake
        private Runnable release = () -> { };
        private final AtomicBoolean released = new AtomicBoolean();
        private String wokenFor;              // the compute this connection is counted against (and backendSocket's)
        private SslHandler ownTls;            // TLS ended by the proxy's own handler, after a peeked ClientHello
        private String helloSni;

        ClientConnection(NetSocket socket) { this.socket = socket; }

        void begin() {
            socket.handler(this::onData);
            socket.exceptionHandler(e -> log.debug("client {}: {}", socket.remoteAddress(), e.toString()));
        }

        private void onData(Buffer data) {
            if (phase == Phase.DONE) return;
            pending.appendBuffer(data);
            process();
        }

        private void process() {
            while (true) {
                switch (phase) {
                    case STARTUP -> { if (!startupPacket()) return; }
                    case CLIENT_HELLO -> { if (!clientHello()) return; }
                    case SASL_INITIAL, SASL_RESPONSE -> { if (!authMessage()) return; }
                    case BUSY, DONE -> { return; }
                }
            }
        }

        /** Handles one untyped startup-phase packet; false when more bytes are needed or the connection is done. */
        private boolean startupPacket() {
            if (pending.length() < 8) return false;
            int len = pending.getInt(0);
            if (len < 8 || len > PgWire.MAX_STARTUP) {
                fail("08P01", "invalid startup packet length " + len);
                return false;
            }
            if (pending.length() < len) return false;
            Buffer packet = pending.getBuffer(0, len);
            pending = pending.getBuffer(len, pending.length());
            int code = packet.getInt(4);
            if (code == PgWire.SSL_REQUEST) {
                if (tlsActive() || tls == null) {
                    socket.write(Buffer.buffer("N"));
                } else if (sslContext != null && LocalBypass.onThisMachine(socket.remoteAddress())) {
                    // a local client: read its ClientHello first; if SNI names an endpoint, postgres takes the TLS session
                    socket.write(Buffer.buffer("S"));
                    phase = Phase.CLIENT_HELLO;
                } else {
                    // 'S' goes out in the clear, then the TLS handshake; the client sends nothing until it sees 'S'.
                    socket.upgradeToSsl(Buffer.buffer("S")).onFailure(e -> {
                        log.debug("TLS handshake with {} failed: {}", socket.remoteAddress(), e.toString());
                        socket.close();
                    });
                }
            } else if (code == PgWire.GSSENC_REQUEST) {
                socket.write(Buffer.buffer("N"));
            } else if (code == PgWire.CANCEL_REQUEST) {
                phase = Phase.DONE;
                forwardCancel(packet);
                socket.close();
            } else if ((code >>> 16) == 3) {
                startup(packet);
            } else {
                fail("08P01", "unsupported frontend protocol " + (code >>> 16) + "." + (code & 0xffff));
            }
            return phase == Phase.STARTUP;
        }

        private void startup(Buffer packet) {
            params = PgWire.startupParams(packet);
            protocolVersion = packet.getInt(4);
            String sni = ownTls != null ? helloSni : socket.isSsl() ? socket.indicatedServerName() : null;
            try {
                routing = EndpointRouting.of(params.get("options"), sni);
            } catch (IllegalArgumentException e) {
                fail("22023", e.getMessage());
                return;
            }
            if (routing.target().isEmpty()) {
                fail("08004", "endpoint is not specified: connect to <endpoint-id>.<domain> over TLS (SNI), "
                        + "or pass options=endpoint%3D<endpoint-id> in the connection string");
                return;
            }
            user = params.get("user");
            if (user == null || user.isEmpty()) {
                fail("28000", "no PostgreSQL user name specified in startup packet");
                return;
            }
            String id = routing.target().get();
            phase = Phase.BUSY;
            vertx.executeBlocking(() -> {
                ProxyTarget t = backends.resolve(id, routing.at());
                // A snapshot compute's pg_authid lags the control plane: API roles log in with their current password.
                Scram.Keys k = snapshot(t) ? t.password(user).map(roleKeys::keys).orElse(null) : null;
                return new Resolved(t, k);
            }, false).onComplete(r -> {
                if (r.failed()) {
                    Throwable e = r.cause();
                    if (e instanceof EndpointNotFound) fail("XX000", "endpoint \"" + id + "\" does not exist");
                    else {
                        log.warn("resolving endpoint {} failed: {}", id, e.toString());
                        fail("57P03", "endpoint \"" + id + "\" could not be started: " + e.getMessage());
                    }
                    return;
                }
                target = r.result().target();
                if (r.result().keys() != null) {
                    offerSasl(new AuthidLookup.RoleSecret(r.result().keys(), true));
                    return;
                }
                if (bypass != null && !tlsActive() && LocalBypass.onThisMachine(socket.remoteAddress())) {
                    wake(this::passThrough);
                    return;
                }
                // Postgres' own truth: the role's verifier in pg_authid (SQL-created roles, ALTER ROLE ... PASSWORD).
                wake(sock -> AuthidLookup.lookup(vertx, client, sock, user).onComplete(secret -> {
                    if (phase == Phase.DONE) return;
                    if (secret.failed()) {
                        log.warn("reading role secrets of endpoint {} failed: {}", target.computeId(), secret.cause().toString());
                        fail("57P03", "endpoint \"" + target.computeId() + "\" could not check the password: "
                                + secret.cause().getMessage());
                        return;
                    }
                    offerSasl(secret.result());
                }));
            });
        }

        /** Starts the SASL exchange with the role's keys (null: a mock exchange that fails at the proof). */
        private void offerSasl(AuthidLookup.RoleSecret secret) {
            byte[] endPoint;
            try {
                javax.net.ssl.SSLSession session = ownTls != null ? ownTls.engine().getSession() : socket.isSsl() ? socket.sslSession() : null;
                endPoint = session != null ? ScramExchange.tlsServerEndPoint((X509Certificate) session.getLocalCertificates()[0]) : null;
            } catch (Exception e) {
                fail("08006", "TLS session has no server certificate: " + e.getMessage());
                return;
            }
            canLogin = secret.canLogin();
            scram = new ScramExchange(user, secret.keys(), endPoint);
            socket.write(PgWire.authSasl(scram.mechanisms()));
            phase = Phase.SASL_INITIAL;
            process();
        }

        /** One typed message of the SASL exchange; false when more bytes are needed or the phase changed. */
        private boolean authMessage() {
            if (pending.length() < 5) return false;
            byte type = pending.getByte(0);
            int len = pending.getInt(1);
            if (len < 4 || len > MAX_AUTH_MESSAGE) {
                fail("08P01", "invalid message length " + len + " during authentication");
                return false;
            }
            if (pending.length() < len + 1) return false;
            Buffer payload = pending.getBuffer(5, len + 1);
            pending = pending.getBuffer(len + 1, pending.length());
            if (type == 'X') {
                phase = Phase.DONE;
                socket.close();
                return false;
            }
            if (type != 'p') {
                fail("08P01", "expected SASL response, got message type " + (char) type);
                return false;
            }
            try {
                if (phase == Phase.SASL_INITIAL) {
                    PgWire.SaslInitial init = PgWire.saslInitial(payload);
                    socket.write(PgWire.authSaslData(11, scram.first(init.mechanism(), init.data())));
                    phase = Phase.SASL_RESPONSE;
                    return true;
                }
                socket.write(PgWire.authSaslData(12, scram.last(payload.toString(StandardCharsets.UTF_8))));
            } catch (ScramExchange.Failure f) {
                fail(f.sqlState, f.getMessage());
                return false;
            } catch (IllegalArgumentException e) {
                fail("08P01", e.getMessage());
                return false;
            }
            if (!canLogin) {  // checked after the password, as postgres does
                socket.write(PgWire.authOk());
                fail("28000", "role \"" + user + "\" is not permitted to log in");
                return false;
            }
            phase = Phase.BUSY;
            connectBackend();
            return false;
        }

        private boolean tlsActive() { return ownTls != null || socket.isSsl(); }

        /**
         * A local client's whole ClientHello: when its SNI names an endpoint (not a branch) that postgres' own
         * pg_authid serves (not a snapshot), postgres gets the TLS session itself, serving the proxy's certificate,
         * and the kernel carries the bytes; otherwise the proxy ends TLS here as usual. In a handed-through session
         * the startup options reach postgres unchanged, so Arbor's own ({@code endpoint=}, {@code neon_timestamp:})
         * belong with the branch host or {@code localhost}, as neonctl builds them.
         */
        private boolean clientHello() {
            if (pending.length() < 5) return false;
            if (pending.getByte(0) != 0x16) {  // not a handshake: let the TLS engine answer it
                endTlsHere();
                return false;
            }
            int record = 5 + pending.getUnsignedShort(3);
            if (pending.length() < record) return false;
            helloSni = ClientHello.serverName(pending.getBytes(0, record));
            phase = Phase.BUSY;
            Optional<String> id = Optional.empty();
            try {
                // Only <id>.localhost, the name neonctl prints for the embedded default. Postgres would refuse the proxy's
                // own startup options (endpoint=..., neon_*) as invalid arguments, and the API's URIs for a real domain
                // carry options=endpoint next to the SNI host; those sessions stay with the proxy, which strips them.
                if (helloSni != null && helloSni.toLowerCase(java.util.Locale.ROOT).endsWith(".localhost"))
                    id = EndpointRouting.of(null, helloSni).target();
            } catch (IllegalArgumentException e) {
                // not an endpoint name: routed (and reported) after the startup packet
            }
            if (id.isEmpty() || bypass == null) {
                endTlsHere();
                return false;
            }
            String endpoint = id.get();
            vertx.executeBlocking(() -> backends.resolve(endpoint, Optional.empty()), false).onComplete(r -> {
                // an endpoint host only: a branch host may carry time travel in its (encrypted) startup options,
                // which only the proxy understands (neonctl builds <branch-id>.<domain>?options=neon_timestamp:..)
                if (r.failed() || snapshot(r.result()) || !r.result().computeId().equals(endpoint)) {
                    endTlsHere();
                    return;
                }
                target = r.result();
                wake(this::passThroughTls, e -> endTlsHere());
            });
            return false;
        }

        /** Ends TLS in the proxy, feeding the ClientHello it has read into its own TLS engine. */
        private void endTlsHere() {
            if (phase == Phase.DONE || ownTls != null) return;
            var pipeline = ((NetSocketInternal) socket).channelHandlerContext().pipeline();
            ownTls = sslContext.newHandler(pipeline.channel().alloc());
            ownTls.handshakeFuture().addListener(f -> {
                if (!f.isSuccess()) {
                    log.debug("TLS handshake with {} failed: {}", socket.remoteAddress(), f.cause().toString());
                    socket.close();
                }
            });
            pipeline.addFirst("arbor-tls", ownTls);
            byte[] hello = pending.getBytes();
            pending = Buffer.buffer();
            phase = Phase.STARTUP;
            // a whole read cycle: the TLS engine flushes its answer on read-complete, and this may run outside one
            pipeline.fireChannelRead(Unpooled.wrappedBuffer(hello));
            pipeline.fireChannelReadComplete();
        }

        /** Postgres takes the client's TLS session: SSLRequest to it, then the ClientHello, then the kernel. */
        private void passThroughTls(Path sock) {
            connectLoopback(sock, e -> endTlsHere(), backend -> {
                backend.handler(answer -> {
                    backend.handler(null);
                    if (answer.length() != 1 || answer.getByte(0) != 'S') {  // this postgres has no TLS: end it here
                        backend.close();
                        endTlsHere();
                        return;
                    }
                    Buffer hello = pending;
                    pending = Buffer.buffer();
                    pairAndSplice(backend, hello);
                });
                backend.write(PgWire.sslRequest());
            });
        }

        /**
         * Connects to the woken postgres on its loopback TCP port, watched by {@link LocalBypass} first so that
         * postgres' end of the connection is known to it; {@code then} runs unless the client gave up meanwhile.
         */
        private void connectLoopback(Path sock, Consumer<Throwable> failed, Consumer<NetSocket> then) {
            int port = PgWire.portOfSocket(sock);
            bypass.watchServer(port, backends.runningSockets().stream().map(PgWire::portOfSocket).collect(Collectors.toSet()));
            client.connect(port, "127.0.0.1").onComplete(c -> {
                if (c.failed()) failed.accept(c.cause());
                else if (released.get()) c.result().close();
                else then.accept(c.result());
            });
        }

        /** Splices with postgres, the kernel carrying the bytes when both far sockets are known to {@link LocalBypass}. */
        private void pairAndSplice(NetSocket backend, Buffer first) {
            var pair = bypass.pair(socket.remoteAddress(), socket.localAddress(), backend.localAddress(), backend.remoteAddress());
            (pair.isPresent() ? bypassedConnections : relayedConnections).incrementAndGet();
            Runnable unpair = pair.<Runnable>map(x -> x::close).orElse(() -> { });
            Runnable counted = release;
            splice(backend, first, () -> { unpair.run(); counted.run(); });
        }

        /** The client's startup packet as postgres should see it: without the endpoint option. */
        private Buffer backendStartup() {
            if (routing.remainingOptions().isEmpty()) params.remove("options");
            else params.put("options", routing.remainingOptions());
            Buffer startup = PgWire.startupMessage(params);
            startup.setInt(4, protocolVersion); // keep the client's protocol minor version
            return startup;
        }

        /**
         * A plaintext client on this machine: postgres authenticates it over loopback TCP (SCRAM against the same
         * pg_authid the proxy would read) and the kernel carries the bytes both ways ({@link LocalBypass}); the
         * proxy only routes, wakes and counts the connection. The redirect is in place before the startup packet
         * goes out, so postgres' first answer already takes the kernel path.
         */
        private void passThrough(Path sock) {
            connectLoopback(sock, e -> {
                fail("57P03", "endpoint \"" + target.computeId() + "\" is not reachable: " + e.getMessage());
                release.run();
            }, backend -> pairAndSplice(backend, backendStartup()));
        }

        /** Authenticated: wake the compute (if the secret lookup has not) and log in on its private socket as the same user. */
        private void connectBackend() {
            Buffer startup = backendStartup();
            wake(sock -> client.connect(SocketAddress.domainSocketAddress(sock.toString())).onComplete(c -> {
                if (c.failed()) {
                    fail("57P03", "endpoint \"" + target.computeId() + "\" is not reachable: " + c.cause().getMessage());
                    release.run();
                    return;
                }
                if (released.get()) c.result().close(); // the client gave up while we were waking
                else {
                    relayedConnections.incrementAndGet();
                    splice(c.result(), startup, release);
                }
            }));
        }

        /**
         * Runs {@code then} on the event loop with the target's private socket, waking its compute once per client
         * connection; the connection counts as open (keeping the compute awake) from the first call until it closes.
         */
        private void wake(Consumer<Path> then) { wake(then, this::wakeFailed); }

        private void wake(Consumer<Path> then, Consumer<Throwable> failed) {
            String computeId = target.computeId();
            if (backendSocket != null && computeId.equals(wokenFor)) {
                then.accept(backendSocket);
                return;
            }
            if (!computeId.equals(wokenFor)) {  // first wake, or a handed-through session fell back to another target
                release.run();
                released.set(false);
                wokenFor = computeId;
                backendSocket = null;
                backends.connectionOpened(computeId);
                release = () -> { if (released.compareAndSet(false, true)) backends.connectionClosed(computeId); };
                socket.closeHandler(v -> release.run());
            }
            vertx.executeBlocking(() -> backends.wake(target), false).onComplete(woken -> {
                if (woken.failed()) {
                    failed.accept(woken.cause());
                    return;
                }
                backendSocket = woken.result();
                then.accept(backendSocket);
            });
        }

        private void wakeFailed(Throwable e) {
            String computeId = target.computeId();
            if (e instanceof EndpointNotFound) fail("XX000", "endpoint \"" + computeId + "\" does not exist");
            else if (e instanceof StorageException.InvalidLsn) fail("22023", "cannot read the branch at that point: " + e.getMessage());
            else {
                log.warn("waking endpoint {} failed: {}", computeId, e.toString());
                fail("57P03", "endpoint \"" + computeId + "\" could not be started: " + e.getMessage());
            }
            release.run();
        }

        private void splice(NetSocket backend, Buffer startup, Runnable release) {
            phase = Phase.DONE;
            backend.write(startup);
            if (pending.length() > 0) backend.write(pending);
            pending = Buffer.buffer();
            socket.handler(null);
            backend.closeHandler(v -> { socket.close(); release.run(); });
            socket.closeHandler(v -> { backend.close(); release.run(); });
            backend.exceptionHandler(e -> socket.close());
            Splice.between(socket, backend);
        }

        private void forwardCancel(Buffer packet) {
            // The key is 32 random bits from one postmaster; the others ignore a key they did not issue.
            for (Path sock : backends.runningSockets()) {
                client.connect(SocketAddress.domainSocketAddress(sock.toString()))
                        .onSuccess(b -> b.write(packet).onComplete(x -> b.close()));
            }
        }

        private void fail(String sqlState, String message) {
            phase = Phase.DONE;
            socket.write(PgWire.fatal(sqlState, message)).onComplete(x -> socket.close());
        }
    }

    /**
     * Read-only computes (time travel, read_only endpoints) serve a snapshot of pg_authid taken when they
     * started, which misses later API password changes; their API roles are checked against the control plane.
     */
    private static boolean snapshot(ProxyTarget t) { return t.timeTravel() || t.spec().readOnly(); }

    private record Resolved(ProxyTarget target, Scram.Keys keys) {}
}
