package dev.arbor.backend.compute.proxy;

import dev.arbor.backend.compute.EndpointNotFound;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one PostgreSQL-protocol listener every endpoint is reached through. It terminates TLS, reads the
 * startup packet to learn the endpoint (startup option {@code endpoint=<id>} or SNI {@code <id>.<domain>}),
 * wakes a suspended endpoint while the client waits, then splices bytes both ways. Authentication is the
 * endpoint's own (SCRAM, passed through untouched), so a wrong password gets postgres' normal error.
 */
public final class PgProxy {
    private static final Logger log = LoggerFactory.getLogger(PgProxy.class);

    private final Vertx vertx;
    private final ProxyBackends backends;
    private final KeyCertOptions tls;
    private NetServer server;
    private NetClient client;

    public PgProxy(Vertx vertx, ProxyBackends backends, KeyCertOptions tls) {
        this.vertx = vertx;
        this.backends = backends;
        this.tls = tls;
    }

    /** Listens on {@code host:port} (0 = any free port); the future holds the actual port. */
    public Future<Integer> listen(String host, int port) {
        var opts = new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true);
        if (tls != null) opts.setKeyCertOptions(tls).setSni(true); // TLS starts only after an SSLRequest
        client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
        server = vertx.createNetServer(opts).connectHandler(s -> new ClientConnection(s).begin());
        return server.listen().map(NetServer::actualPort).onSuccess(p -> log.info("postgres proxy listening on {}:{}", host, p));
    }

    public Future<Void> close() {
        Future<Void> a = server == null ? Future.succeededFuture() : server.close();
        Future<Void> b = client == null ? Future.succeededFuture() : client.close();
        return Future.all(a, b).mapEmpty();
    }

    /** One client, from its first byte until both sides have closed. Runs on its event loop only. */
    private final class ClientConnection {
        private final NetSocket socket;
        private Buffer pending = Buffer.buffer();
        private boolean routed;

        ClientConnection(NetSocket socket) { this.socket = socket; }

        void begin() {
            socket.handler(this::onData);
            socket.exceptionHandler(e -> log.debug("client {}: {}", socket.remoteAddress(), e.toString()));
        }

        private void onData(Buffer data) {
            if (routed) return;
            pending.appendBuffer(data);
            while (!routed && pending.length() >= 8) {
                int len = pending.getInt(0);
                if (len < 8 || len > PgWire.MAX_STARTUP) {
                    fail("08P01", "invalid startup packet length " + len);
                    return;
                }
                if (pending.length() < len) return;
                Buffer packet = pending.getBuffer(0, len);
                pending = pending.getBuffer(len, pending.length());
                int code = packet.getInt(4);
                if (code == PgWire.SSL_REQUEST) {
                    if (socket.isSsl() || tls == null) {
                        socket.write(Buffer.buffer("N"));
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
                    routed = true;
                    forwardCancel(packet);
                    socket.close();
                } else if ((code >>> 16) == 3) {
                    routed = true;
                    startup(packet);
                } else {
                    fail("08P01", "unsupported frontend protocol " + (code >>> 16) + "." + (code & 0xffff));
                    return;
                }
            }
        }

        private void startup(Buffer packet) {
            Map<String, String> params = PgWire.startupParams(packet);
            String sni = socket.isSsl() ? socket.indicatedServerName() : null;
            EndpointRouting routing = EndpointRouting.of(params.get("options"), sni);
            if (routing.endpointId().isEmpty()) {
                fail("08004", "endpoint is not specified: connect to <endpoint-id>.<domain> over TLS (SNI), "
                        + "or pass options=endpoint%3D<endpoint-id> in the connection string");
                return;
            }
            String endpointId = routing.endpointId().get();
            if (routing.remainingOptions().isEmpty()) params.remove("options");
            else params.put("options", routing.remainingOptions());
            Buffer rewritten = PgWire.startupMessage(params);
            rewritten.setInt(4, packet.getInt(4)); // keep the client's protocol minor version
            socket.pause();
            backends.connectionOpened(endpointId);
            AtomicBoolean released = new AtomicBoolean();
            Runnable release = () -> { if (released.compareAndSet(false, true)) backends.connectionClosed(endpointId); };
            socket.closeHandler(v -> release.run());
            vertx.executeBlocking(() -> backends.wake(endpointId), false).onComplete(woken -> {
                if (woken.failed()) {
                    Throwable e = woken.cause();
                    if (e instanceof EndpointNotFound) fail("XX000", "endpoint \"" + endpointId + "\" does not exist");
                    else {
                        log.warn("waking endpoint {} failed: {}", endpointId, e.toString());
                        fail("57P03", "endpoint \"" + endpointId + "\" could not be started: " + e.getMessage());
                    }
                    release.run();
                    return;
                }
                client.connect(woken.result(), "127.0.0.1").onComplete(c -> {
                    if (c.failed()) {
                        fail("57P03", "endpoint \"" + endpointId + "\" is not reachable: " + c.cause().getMessage());
                        release.run();
                        return;
                    }
                    if (released.get()) c.result().close(); // the client gave up while we were waking
                    else splice(c.result(), rewritten, release);
                });
            });
        }

        private void splice(NetSocket backend, Buffer startup, Runnable release) {
            backend.write(startup);
            if (pending.length() > 0) backend.write(pending);
            pending = Buffer.buffer();
            socket.handler(null);
            backend.closeHandler(v -> { socket.close(); release.run(); });
            socket.closeHandler(v -> { backend.close(); release.run(); });
            backend.exceptionHandler(e -> socket.close());
            socket.pipeTo(backend).onFailure(e -> backend.close());
            backend.pipeTo(socket).onFailure(e -> socket.close());
        }

        private void forwardCancel(Buffer packet) {
            // The key is 32 random bits from one postmaster; the others ignore a key they did not issue.
            for (int port : backends.runningPorts()) {
                client.connect(port, "127.0.0.1").onSuccess(b -> b.write(packet).onComplete(x -> b.close()));
            }
        }

        private void fail(String sqlState, String message) {
            routed = true;
            socket.write(PgWire.fatal(sqlState, message)).onComplete(x -> socket.close());
        }
    }
}
