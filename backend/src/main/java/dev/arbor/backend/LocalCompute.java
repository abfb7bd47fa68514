package dev.arbor.backend;

import dev.arbor.backend.compute.ComputeConfig;
import dev.arbor.backend.compute.ComputeManager;
import dev.arbor.backend.compute.PageStoreTrees;
import dev.arbor.backend.compute.proxy.PgProxy;
import dev.arbor.backend.compute.proxy.ProxyTls;
import dev.arbor.backend.ops.ComputeControl;
import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.storage.TimelineId;
import io.vertx.core.net.KeyCertOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real compute: {@link ComputeManager} (postgres on FUSE volumes of page-store timelines) behind the
 * Postgres-protocol proxy on the configured proxy port. Closing it closes the proxy, then the endpoints.
 */
final class LocalCompute implements ComputeControl {
    private static final Logger log = LoggerFactory.getLogger(LocalCompute.class);
    private final ComputeManager manager;
    private final PgProxy proxy;
    private final int proxyPort;

    private LocalCompute(ComputeManager manager, PgProxy proxy, int proxyPort) {
        this.manager = manager;
        this.proxy = proxy;
        this.proxyPort = proxyPort;
    }

    /** The port the proxy actually listens on (the configured one, or the free port picked for 0). */
    int proxyPort() { return proxyPort; }

    /** The endpoint manager (metrics read its wake-up and FUSE statistics). */
    ComputeManager manager() { return manager; }

    /** The proxy (metrics read its connection counts). */
    PgProxy proxy() { return proxy; }

    static ComputeFactory factory() {
        return (config, store, registry, vertx) -> {
            ComputeConfig cc = ComputeConfig.defaults(config.dataDir().toAbsolutePath());
            ComputeManager m = new ComputeManager(cc, new PageStoreTrees(store));
            m.setRegistry(registry);
            KeyCertOptions tls = ProxyTls.selfSigned(cc.computeDir().resolve("tls"), config.proxyDomain());
            try {  // endpoints serve the proxy's certificate, so it can hand local TLS clients through
                m.serveProxyCertificate(tls, vertx);
            } catch (Exception e) {
                log.warn("endpoints will not speak TLS themselves (the proxy ends every TLS session): {}", e.toString());
            }
            // endpoints that were running before a restart (or crash) come back; the rest wake on connect
            m.reconcile(registry.activeSpecs());
            PgProxy proxy = new PgProxy(vertx, m, tls);
            int port;
            try {
                port = proxy.listen("127.0.0.1", config.proxyPort()).await();
                log.info("endpoints are reachable through the proxy on 127.0.0.1:{}", port);
            } catch (RuntimeException e) {
                m.close();
                throw new IllegalStateException("cannot listen on proxy port " + config.proxyPort() + ": " + e.getMessage(), e);
            }
            return new LocalCompute(m, proxy, port);
        };
    }

    @Override public boolean available() { return true; }
    @Override public void start(EndpointSpec endpoint) throws Exception { manager.start(endpoint); }
    @Override public void suspend(EndpointSpec endpoint) throws Exception { manager.suspend(endpoint); }
    @Override public void restart(EndpointSpec endpoint) throws Exception { manager.restart(endpoint); }
    @Override public void applyConfig(EndpointSpec endpoint) throws Exception { manager.applyConfig(endpoint); }
    @Override public void initTimeline(TimelineId timeline) throws Exception { manager.initTimeline(timeline); }
    @Override public void checkpoint(TimelineId timeline) { manager.checkpoint(timeline); }

    @Override public void flushWal(TimelineId timeline) { manager.flushWal(timeline); }
    @Override public void delete(EndpointSpec endpoint) throws Exception { manager.delete(endpoint); }
    @Override public void stopProject(String projectId) { manager.stopProject(projectId); }
    @Override public void copySchema(EndpointSpec source, EndpointSpec target) throws Exception { manager.copySchema(source, target); }
    @Override public void withSuperuser(EndpointSpec source, EndpointSpec target, JdbcWork work) throws Exception {
        manager.withSuperuser(source, target, work);
    }

    @Override
    public void close() {
        try {
            proxy.close().await();
        } catch (RuntimeException e) {
            log.warn("closing proxy: {}", e.toString());
        }
        manager.close();
    }
}
