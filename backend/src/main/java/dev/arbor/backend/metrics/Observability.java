package dev.arbor.backend.metrics;

import dev.arbor.backend.meta.Db;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Wires the operator surface onto the server: request ids, access log and API latency on every API
 * request; {@code /healthz} and {@code /readyz} on the API port; {@code /metrics} on the API port, or on
 * its own listener when one is configured (then also with the probes, and absent from the API port).
 */
public final class Observability implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Observability.class);
    private final HttpServer metricsServer;
    private final int metricsPort;

    private Observability(HttpServer metricsServer, int metricsPort) {
        this.metricsServer = metricsServer;
        this.metricsPort = metricsPort;
    }

    /** @param metricsPort -1: {@code /metrics} on the API router; else a separate listener (0 = any free port) */
    public static Observability mount(Vertx vertx, Router api, ArborMetrics metrics, Readiness readiness,
                                      String metricsHost, int metricsPort) {
        HttpObservability.install(api, metrics);
        if (metricsPort < 0) {
            ProbeRoutes.mount(api, readiness, metrics);
            return new Observability(null, -1);
        }
        ProbeRoutes.mount(api, readiness, null);
        Router own = Router.router(vertx);
        HttpObservability.install(own, null);  // request ids and access log, but scrapes are not API latency
        ProbeRoutes.mount(own, readiness, metrics);
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(metricsHost).setPort(metricsPort)).requestHandler(own);
        int port = server.listen().await().actualPort();
        log.info("metrics on http://{}:{}/metrics (not on the API port)", metricsHost, port);
        return new Observability(server, port);
    }

    /**
     * The readiness checks: the metadata database answers a query, the page store lists its timelines, and
     * (with compute) the Postgres proxy accepts a TCP connection. Each has {@code timeout} to answer.
     * @param proxyPort -1 when the server runs without compute
     */
    public static Readiness readiness(Db db, BooleanSupplier storeHealthy, int proxyPort, Duration timeout) {
        return new Readiness(List.of(
                new Readiness.Check("metadata_db", () -> {
                    if (!db.healthy()) throw new IllegalStateException("metadata database does not answer");
                    return "ok";
                }),
                new Readiness.Check("page_store", () -> {
                    if (!storeHealthy.getAsBoolean()) throw new IllegalStateException("page store is closed or failing");
                    return "ok";
                }),
                new Readiness.Check("proxy", () -> {
                    if (proxyPort < 0) return "compute disabled";
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", proxyPort), (int) timeout.toMillis());
                        return "listening on 127.0.0.1:" + proxyPort;
                    } catch (IOException e) {
                        throw new IllegalStateException("postgres proxy on 127.0.0.1:" + proxyPort + " does not accept connections: " + e.getMessage());
                    }
                })), timeout);
    }

    /** The separate metrics listener's port, or -1 when {@code /metrics} is on the API port. */
    public int metricsPort() { return metricsPort; }

    @Override
    public void close() {
        if (metricsServer != null) metricsServer.close().await();
    }
}
