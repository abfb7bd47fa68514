package dev.arbor.backend.meta;

import io.vertx.core.json.JsonObject;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/** Small JDBC helpers shared by the table classes. */
final class Sql {
    private Sql() {}

    static Instant instant(ResultSet rs, String col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    static Optional<Instant> optInstant(ResultSet rs, String col) throws SQLException {
        return Optional.ofNullable(instant(rs, col));
    }

    static Optional<String> optString(ResultSet rs, String col) throws SQLException {
        return Optional.ofNullable(rs.getString(col));
    }

    static JsonObject json(ResultSet rs, String col) throws SQLException {
        String s = rs.getString(col);
        return s == null ? new JsonObject() : new JsonObject(s);
    }

    static void setInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
        else ps.setObject(i, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
    }

    static void setString(PreparedStatement ps, int i, String s) throws SQLException {
        if (s == null) ps.setNull(i, Types.VARCHAR);
        else ps.setString(i, s);
    }

    static Timestamp ts(Instant t) { return Timestamp.from(t); }
}
