package dev.arbor.backend.api;

import dev.arbor.backend.compute.ConnectionUris;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * How clients reach endpoints: through the Postgres-protocol proxy on {@code proxyPort}. An endpoint's
 * {@code host} is {@code <endpoint-id>.<proxyDomain>:<port>} (it must contain the id: clients derive the pooler
 * host by string replacement). Connection URIs carry the proxy address and name the endpoint with
 * Neon's {@code options=endpoint=<id>} so they work even without wildcard DNS for {@code *.localhost}.
 */
public record ConnectionInfo(String proxyDomain, int proxyPort, String regionId) {
    public static final String REGION = "local";

    public String proxyHost() { return proxyDomain; }

    /** {@code <endpoint-id>.<domain>:<port>}: neonctl builds URIs from it (and its -pooler and branch-id variants). */
    public String host(String endpointId) { return ConnectionUris.endpointHost(endpointId, proxyDomain, proxyPort); }

    public String poolerHost(String endpointId) { return ConnectionUris.endpointHost(endpointId + "-pooler", proxyDomain, proxyPort); }

    /**
     * {@code postgresql://role:pw@<proxy>:<port>/db?sslmode=require&options=endpoint%3D<id>}. The proxy has no
     * separate pooler, so a pooled URI names the same endpoint. With a real (non-local) domain the host is
     * {@code <id>.<domain>} and SNI routes too.
     */
    public String uri(String endpointId, String role, String password, String database, boolean pooled) {
        String user = enc(role) + (password == null ? "" : ":" + enc(password));
        String host = isLocal() ? proxyDomain : endpointId + "." + proxyDomain;
        return "postgresql://" + user + "@" + host + ":" + proxyPort + "/" + enc(database)
                + "?sslmode=require&options=endpoint%3D" + endpointId;
    }

    private boolean isLocal() {
        return proxyDomain.equals("localhost") || proxyDomain.matches("[0-9.]+") || proxyDomain.contains(":");
    }

    public JsonObject details(String endpointId, String role, String password, String database) {
        return new JsonObject().put("connection_uri", uri(endpointId, role, password, database, false))
                .put("connection_parameters", new JsonObject().put("database", database).put("password", password)
                        .put("role", role).put("host", host(endpointId)).put("pooler_host", poolerHost(endpointId)));
    }

    private static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"); }
}
