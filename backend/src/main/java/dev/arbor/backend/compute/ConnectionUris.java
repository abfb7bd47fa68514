package dev.arbor.backend.compute;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Connection strings for endpoints behind the proxy. The endpoint travels in the startup option
 * ({@code options=endpoint%3D<id>}), which both libpq (psql) and pgjdbc pass through, so no wildcard DNS
 * is needed. With a real domain the host is also {@code <id>.<domain>}, so SNI routes as well.
 *
 * <p>An endpoint's {@code host} field (what neonctl builds its URIs from by string replacement) is
 * {@link #endpointHost}: {@code <id>.<domain>:<port>}. With the domain {@code localhost}, glibc resolves
 * {@code *.localhost} through {@code libnss-myhostname} (scripts/install-deps), and the proxy routes by SNI.
 */
public final class ConnectionUris {
    private ConnectionUris() {}

    /** {@code <id>.<domain>}, plus {@code :port} unless it is postgres' 5432: neonctl appends no port of its own. */
    public static String endpointHost(String endpointId, String proxyDomain, int port) {
        return endpointId + "." + proxyDomain + (port == 5432 ? "" : ":" + port);
    }

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
