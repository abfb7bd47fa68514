package dev.arbor.backend.twin;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The external PostgreSQL a twin is imported from, {@code postgresql://user:password@host:port/db?params}.
 * The password is kept apart: tools get the URI without it ({@link #withoutPassword}) and the password
 * through a private passfile, and everything shown or stored in clear uses {@link #redacted}.
 */
public record SourceUrl(String raw, String user, Optional<String> password, String host, int port, String database,
                        String rawQuery) {

    /** Parses and checks the URL; the message of the exception never contains the password. */
    public static SourceUrl parse(String url) {
        if (url == null || url.isBlank()) throw new IllegalArgumentException("source_url is required");
        URI u;
        try {
            u = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("source_url is not a valid URL (expected postgresql://user:password@host:port/database)");
        }
        if (!"postgresql".equals(u.getScheme()) && !"postgres".equals(u.getScheme())) {
            throw new IllegalArgumentException("source_url must start with postgresql:// or postgres://");
        }
        if (u.getHost() == null || u.getHost().isEmpty()) throw new IllegalArgumentException("source_url has no host");
        String info = u.getRawUserInfo();
        if (info == null || info.isEmpty() || info.startsWith(":")) throw new IllegalArgumentException("source_url has no user name");
        String[] parts = info.split(":", 2);
        String user = dec(parts[0]);
        Optional<String> pw = parts.length > 1 ? Optional.of(dec(parts[1])) : Optional.empty();
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        if (path.length() <= 1 || path.indexOf('/', 1) >= 0) throw new IllegalArgumentException("source_url must name one database, e.g. postgresql://user:password@host:5432/shop");
        String db = dec(path.substring(1));
        int port = u.getPort() > 0 ? u.getPort() : 5432;
        if (port > 65535) throw new IllegalArgumentException("source_url has an invalid port");
        return new SourceUrl(url.strip(), user, pw, u.getHost(), port, db, u.getRawQuery());
    }

    private static String dec(String s) { return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8); }

    /** The URI tools connect with: the password comes from a passfile; a connect timeout unless one is given. */
    public String withoutPassword() {
        String q = rawQuery == null ? "" : rawQuery;
        if (!q.contains("connect_timeout=")) q = q.isEmpty() ? "connect_timeout=10" : q + "&connect_timeout=10";
        return base() + "?" + q;
    }

    /** For display and operation records: the password replaced by {@code ****}. */
    public String redacted() {
        String s = "postgresql://" + enc(user) + (password.isPresent() ? ":****" : "") + "@" + hostPort() + "/" + enc(database);
        return rawQuery == null ? s : s + "?" + rawQuery;
    }

    private String base() { return "postgresql://" + enc(user) + "@" + hostPort() + "/" + enc(database); }

    private String hostPort() { return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port; }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Removes the password (as typed and URL-decoded) from a tool's message before it is stored or logged. */
    public String scrub(String message) {
        if (message == null) return null;
        String out = message;
        if (password.isPresent() && !password.get().isEmpty()) {
            out = out.replace(password.get(), "****");
            String rawPw = raw.substring(raw.indexOf("://") + 3).split("@", 2)[0];
            int colon = rawPw.indexOf(':');
            if (colon >= 0 && colon + 1 < rawPw.length()) out = out.replace(rawPw.substring(colon + 1), "****");
        }
        return out;
    }

    @Override public String toString() { return redacted(); }
}
