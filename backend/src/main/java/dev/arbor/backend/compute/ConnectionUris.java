package dev.arbor.backend.compute;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

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

    /** A libpq URI as pgjdbc takes it: the URL, and user and password as properties (never in the URL). */
    public record Jdbc(String url, Properties properties) {
        @Override public String toString() { return "Jdbc[" + url + "]"; }
    }

    /**
     * {@code postgresql://user:pw@host:port/db?sslmode=..&channel_binding=..&options=..} (a {@code DATABASE_URL}, e.g.
     * from neonctl) for pgjdbc: same host, port, database and options; libpq's {@code channel_binding} is
     * pgjdbc's {@code channelBinding}.
     */
    public static Jdbc jdbc(String libpqUri) {
        URI u = URI.create(libpqUri);
        if (!"postgresql".equals(u.getScheme()) && !"postgres".equals(u.getScheme())) {
            throw new IllegalArgumentException("not a postgresql:// URI");
        }
        Properties props = new Properties();
        String info = u.getRawUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            props.setProperty("user", dec(colon < 0 ? info : info.substring(0, colon)));
            if (colon >= 0) props.setProperty("password", dec(info.substring(colon + 1)));
        }
        StringBuilder q = new StringBuilder();
        if (u.getRawQuery() != null) {
            for (String kv : u.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                if (eq < 0) continue;
                String key = dec(kv.substring(0, eq));
                if (key.equals("channel_binding")) key = "channelBinding";
                q.append(q.isEmpty() ? "?" : "&").append(enc(key)).append('=').append(enc(dec(kv.substring(eq + 1))));
            }
        }
        String port = u.getPort() < 0 ? "" : ":" + u.getPort();
        return new Jdbc("jdbc:postgresql://" + u.getHost() + port + u.getRawPath() + q, props);
    }

    /** Percent-decoding as libpq does it: a '+' stays a '+'. */
    private static String dec(String s) { return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8); }

    private static boolean isLocal(String domain) {
        return domain.equals("localhost") || domain.matches("[0-9.]+") || domain.contains(":");
    }

    private static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"); }
}
