package dev.arbor.backend.meta;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * API keys, stored only as the SHA-256 of the key. Keys are 32 random bytes, so a plain hash is as
 * strong as a slow KDF would be and keeps per-request verification cheap.
 */
public final class ApiKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {}

    public record ApiKey(long id, String name, Optional<String> projectId, String createdBy, Instant createdAt,
                         Optional<Instant> lastUsedAt, Optional<String> lastUsedFrom, Optional<Instant> revokedAt,
                         Optional<Double> rateLimitPerSecond) {
        public boolean admin() { return projectId.isEmpty(); }
    }

    public static String generate() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return "arb_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    public static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ApiKey insert(Connection c, String name, String key, String projectId, String createdBy,
                                Double rateLimitPerSecond) throws SQLException {
        try (var ps = c.prepareStatement("insert into api_keys (name, key_hash, project_id, created_by, rate_limit_per_second)"
                + " values (?, ?, ?, ?, ?) returning *")) {
            if (rateLimitPerSecond == null) ps.setNull(5, java.sql.Types.DOUBLE);
            else ps.setDouble(5, rateLimitPerSecond);
            ps.setString(1, name);
            ps.setBytes(2, hash(key));
            Sql.setString(ps, 3, projectId);
            ps.setString(4, createdBy);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return map(rs);
            }
        }
    }

    public static long countLive(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("select count(*) from api_keys where revoked_at is null")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The live key with this secret. */
    public static Optional<ApiKey> find(Connection c, byte[] keyHash) throws SQLException {
        try (var ps = c.prepareStatement("select * from api_keys where key_hash = ? and revoked_at is null")) {
            ps.setBytes(1, keyHash);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public static void markUsed(Connection c, long id, String fromAddr) throws SQLException {
        try (var ps = c.prepareStatement("update api_keys set last_used_at = now(), last_used_from_addr = ? where id = ?")) {
            Sql.setString(ps, 1, fromAddr);
            ps.setLong(2, id);
            ps.executeUpdate();
        }
    }

    public static List<ApiKey> listLive(Connection c) throws SQLException {
        List<ApiKey> out = new ArrayList<>();
        try (var st = c.createStatement(); var rs = st.executeQuery("select * from api_keys where revoked_at is null order by id")) {
            while (rs.next()) out.add(map(rs));
        }
        return out;
    }

    public static Optional<ApiKey> revoke(Connection c, long id) throws SQLException {
        try (var ps = c.prepareStatement("update api_keys set revoked_at = coalesce(revoked_at, now()) where id = ? returning *")) {
            ps.setLong(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    private static ApiKey map(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getLong("id"), rs.getString("name"), Sql.optString(rs, "project_id"),
                rs.getString("created_by"), Sql.instant(rs, "created_at"), Sql.optInstant(rs, "last_used_at"),
                Sql.optString(rs, "last_used_from_addr"), Sql.optInstant(rs, "revoked_at"), rate(rs));
    }

    private static Optional<Double> rate(ResultSet rs) throws SQLException {
        double r = rs.getDouble("rate_limit_per_second");
        return rs.wasNull() ? Optional.empty() : Optional.of(r);
    }
}
