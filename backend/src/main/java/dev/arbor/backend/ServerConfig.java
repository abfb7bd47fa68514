package dev.arbor.backend;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code ./arbor server} is configured with.
 *
 * @param dataDir        root of all server state (metadata cluster, page store, compute, keys)
 * @param apiHost        address the HTTP API binds to
 * @param apiPort        HTTP API port (0 = any free port; tests use this)
 * @param proxyPort      port of the Postgres-protocol proxy endpoints are reached through (0 = any free port)
 * @param proxyDomain    endpoint hosts are {@code <endpoint-id>.<proxyDomain>}
 * @param metadataUrl    external metadata database ({@code postgresql://user:pw@host:port/db}); empty = embedded cluster
 * @param maxProjects    quota: live projects
 * @param maxBranchesPerProject quota: live branches per project
 * @param maxActiveEndpointsPerProject quota: endpoints per project that are not disabled
 * @param maxProtectedBranchesPerProject quota: protected branches per project
 * @param rateLimitPerKey requests per second per API key (burst: twice that) unless the key sets its own
 * @param presetApiKey   admin key to install on first start instead of generating one (ARBOR_API_KEY)
 * @param metricsHost    address of the separate metrics listener (when {@code metricsPort >= 0})
 * @param metricsPort    -1: {@code /metrics} is served on the API port; else its own listener (0 = any free port)
 *                       and the API port has no {@code /metrics}
 * @param remoteStorage  page store layers in a bucket ({@code s3://bucket?endpoint=...}, see
 *                       {@code RemoteLayerConfig.open}); empty = local disk only
 * @param node           cluster mode: this node's name and lease settings (docs/scale-out.md); empty = one node
 */
public record ServerConfig(
        Path dataDir,
        String apiHost,
        int apiPort,
        int proxyPort,
        String proxyDomain,
        Optional<String> metadataUrl,
        int maxProjects,
        int maxBranchesPerProject,
        int maxActiveEndpointsPerProject,
        double rateLimitPerKey,
        Optional<String> presetApiKey,
        String metricsHost,
        int metricsPort,
        int maxProtectedBranchesPerProject,
        Optional<String> remoteStorage,
        Optional<dev.arbor.backend.cluster.NodeConfig> node) {

    public static final int DEFAULT_API_PORT = 4242;
    public static final int DEFAULT_MAX_PROTECTED_BRANCHES = 5;
    /** Not 5432, so a system PostgreSQL on the same machine keeps its port. */
    public static final int DEFAULT_PROXY_PORT = 55432;

    public ServerConfig {
        if (maxProtectedBranchesPerProject < 0) throw new IllegalArgumentException("max protected branches must be >= 0");
        // a node's projects move to other nodes: their metadata and their layers must be where every node reaches them
        if (node.isPresent() && (metadataUrl.isEmpty() || remoteStorage.isEmpty())) {
            throw new IllegalArgumentException("--node-id needs --metadata-url and --remote-storage (shared by every node)");
        }
    }

    /** {@code /metrics} (and probes) on their own listener at {@code host:port}; port -1 puts it back on the API port. */
    public ServerConfig withMetricsListener(String host, int port) {
        return new ServerConfig(dataDir, apiHost, apiPort, proxyPort, proxyDomain, metadataUrl, maxProjects,
                maxBranchesPerProject, maxActiveEndpointsPerProject, rateLimitPerKey, presetApiKey, host, port, maxProtectedBranchesPerProject, remoteStorage, node);
    }

    public static ServerConfig defaults(Path dataDir) {
        return new ServerConfig(dataDir, "127.0.0.1", DEFAULT_API_PORT, DEFAULT_PROXY_PORT, "localhost",
                Optional.empty(), 1000, 500, 20, 500, Optional.empty(), "127.0.0.1", -1, DEFAULT_MAX_PROTECTED_BRANCHES, Optional.empty(), Optional.empty());
    }

    public ServerConfig withApiPort(int port) {
        return new ServerConfig(dataDir, apiHost, port, proxyPort, proxyDomain, metadataUrl, maxProjects,
                maxBranchesPerProject, maxActiveEndpointsPerProject, rateLimitPerKey, presetApiKey, metricsHost, metricsPort, maxProtectedBranchesPerProject, remoteStorage, node);
    }

    public ServerConfig withProxyPort(int port) {
        return new ServerConfig(dataDir, apiHost, apiPort, port, proxyDomain, metadataUrl, maxProjects,
                maxBranchesPerProject, maxActiveEndpointsPerProject, rateLimitPerKey, presetApiKey, metricsHost, metricsPort, maxProtectedBranchesPerProject, remoteStorage, node);
    }

    public ServerConfig withQuotas(int projects, int branchesPerProject, int activeEndpointsPerProject) {
        return new ServerConfig(dataDir, apiHost, apiPort, proxyPort, proxyDomain, metadataUrl, projects,
                branchesPerProject, activeEndpointsPerProject, rateLimitPerKey, presetApiKey, metricsHost, metricsPort, maxProtectedBranchesPerProject, remoteStorage, node);
    }

    public ServerConfig withRateLimit(double perKey) {
        return new ServerConfig(dataDir, apiHost, apiPort, proxyPort, proxyDomain, metadataUrl, maxProjects,
                maxBranchesPerProject, maxActiveEndpointsPerProject, perKey, presetApiKey, metricsHost, metricsPort, maxProtectedBranchesPerProject, remoteStorage, node);
    }

    public ServerConfig withMetadataUrl(String url) {
        return new ServerConfig(dataDir, apiHost, apiPort, proxyPort, proxyDomain, Optional.ofNullable(url), maxProjects,
                maxBranchesPerProject, maxActiveEndpointsPerProject, rateLimitPerKey, presetApiKey, metricsHost, metricsPort, maxProtectedBranchesPerProject, remoteStorage, node);
    }

    public ServerConfig withPresetApiKey(String key) {
        return new ServerConfig(dataDir, apiHost, apiPort, proxyPort, proxyDomain, metadataUrl, maxProjects,
                maxBranchesPerProject, maxActiveEndpointsPerProject, rateLimitPerKey, Optional.ofNullable(key), metricsHost, metricsPort, maxProtectedBranchesPerProject, remoteStorage, node);
    }
}
