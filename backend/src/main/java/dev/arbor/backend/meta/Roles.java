package dev.arbor.backend.meta;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Postgres roles of a branch. Passwords are stored encrypted ({@link Secrets}). */
public final class Roles {
    private Roles() {}

    public record Role(String branchId, String name, Optional<String> passwordEnc, boolean isProtected, boolean noLogin,
                       Instant createdAt, Instant updatedAt) {}

    public static void insert(Connection c, Role r) throws SQLException {
        try (var ps = c.prepareStatement("insert into roles (branch_id, name, password_enc, protected, no_login, created_at, updated_at)"
                + " values (?,?,?,?,?,?,?)")) {
            ps.setString(1, r.branchId());
            ps.setString(2, r.name());
            Sql.setString(ps, 3, r.passwordEnc().orElse(null));
            ps.setBoolean(4, r.isProtected());
            ps.setBoolean(5, r.noLogin());
            Sql.setInstant(ps, 6, r.createdAt());
            Sql.setInstant(ps, 7, r.updatedAt());
            ps.executeUpdate();
        }
    }

    public static void setPassword(Connection c, String branchId, String name, String passwordEnc, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("update roles set password_enc = ?, updated_at = ? where branch_id = ? and name = ?")) {
            ps.setString(1, passwordEnc);
            Sql.setInstant(ps, 2, now);
            ps.setString(3, branchId);
            ps.setString(4, name);
            ps.executeUpdate();
        }
    }

    public static Optional<Role> get(Connection c, String branchId, String name) throws SQLException {
        try (var ps = c.prepareStatement("select * from roles where branch_id = ? and name = ?")) {
            ps.setString(1, branchId);
            ps.setString(2, name);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public static List<Role> byBranch(Connection c, String branchId) throws SQLException {
        List<Role> out = new ArrayList<>();
        try (var ps = c.prepareStatement("select * from roles where branch_id = ? order by created_at, name")) {
            ps.setString(1, branchId);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    public static void delete(Connection c, String branchId, String name) throws SQLException {
        try (var ps = c.prepareStatement("delete from roles where branch_id = ? and name = ?")) {
            ps.setString(1, branchId);
            ps.setString(2, name);
            ps.executeUpdate();
        }
    }

    /** A child branch starts with its parent's roles (they live in the copied data). */
    public static void copy(Connection c, String fromBranch, String toBranch, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("insert into roles (branch_id, name, password_enc, protected, no_login, created_at, updated_at)"
                + " select ?, name, password_enc, protected, no_login, ?, ? from roles where branch_id = ?")) {
            ps.setString(1, toBranch);
            Sql.setInstant(ps, 2, now);
            Sql.setInstant(ps, 3, now);
            ps.setString(4, fromBranch);
            ps.executeUpdate();
        }
    }

    private static Role map(ResultSet rs) throws SQLException {
        return new Role(rs.getString("branch_id"), rs.getString("name"), Sql.optString(rs, "password_enc"),
                rs.getBoolean("protected"), rs.getBoolean("no_login"), Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"));
    }
}
