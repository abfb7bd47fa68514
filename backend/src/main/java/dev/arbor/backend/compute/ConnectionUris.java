package dev.arbor.backend.compute;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Connection strings for endpoints behind the proxy. The endpoint travels in the startup option
 * ({@code options=endpoint%3D<id>}), which both libpq (psql) and pgjdbc pass through, so no wildcard DNS
 * is needed. With a real domain the host is also {@code <id>.<domain>}, so SNI routes as well.
 * ({@code *.localhost} does not resolve through glibc's files+dns, hence plain {@code localhost} there.)
 */
public final class ConnectionUris {
    private ConnectionUris() {}

    public static String host(String endpointId, String proxyDomain) {
        return isLocal(proxyDomain) ? proxyDomain : endpointId + "." + proxyDomain;
    }

    /** {@code postgresql://role:pw@host:port/db?sslmode=require&options=endpoint%3D<id>} for psql and libpq. */
    public static String postgresUri(String role, String password, String endpointId, String proxyDomain, int port, String database) {
        return "postgresql://" + enc(role) + (password == null ? "" : ":" + enc(password)) + "@"
                + host(endpointId, proxyDomain) + ":" + port + "/" + enc(database)
                + "?sslmode=require&options=endpoint%3D" + enc(endpointId);
    }

    /** The same for pgjdbc (user and password as properties, not in the URL). */
    public static String jdbcUrl(String endpointId, String proxyDomain, int port, String database) {
        return "jdbc:postgresql://" + host(endpointId, proxyDomain) + ":" + port + "/" + enc(database)
                + "?sslmode=require&options=endpoint%3D" + enc(endpointId);
    }

    private static boolean isLocal(String domain) {
        return domain.equals("localhost") || domain.matches("[0-9.]+") || domain.contains(":");
    }

    private static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"); }
}
