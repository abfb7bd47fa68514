package dev.arbor.backend.meta;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Databases of a branch. */
public final class Databases {
    private Databases() {}

    public record Database(long id, String branchId, String name, String ownerName, Instant createdAt, Instant updatedAt) {}

    public static Database insert(Connection c, String branchId, String name, String owner, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("insert into databases (branch_id, name, owner_name, created_at, updated_at)"
                + " values (?,?,?,?,?) returning *")) {
            ps.setString(1, branchId);
            ps.setString(2, name);
            ps.setString(3, owner);
            Sql.setInstant(ps, 4, now);
            Sql.setInstant(ps, 5, now);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return map(rs);
            }
        }
    }

    public static void update(Connection c, long id, String name, String owner, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("update databases set name = ?, owner_name = ?, updated_at = ? where id = ?")) {
            ps.setString(1, name);
            ps.setString(2, owner);
            Sql.setInstant(ps, 3, now);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
    }

    public static Optional<Database> get(Connection c, String branchId, String name) throws SQLException {
        try (var ps = c.prepareStatement("select * from databases where branch_id = ? and name = ?")) {
            ps.setString(1, branchId);
            ps.setString(2, name);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public static List<Database> byBranch(Connection c, String branchId) throws SQLException {
        List<Database> out = new ArrayList<>();
        try (var ps = c.prepareStatement("select * from databases where branch_id = ? order by id")) {
            ps.setString(1, branchId);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    public static boolean ownedBy(Connection c, String branchId, String role) throws SQLException {
        try (var ps = c.prepareStatement("select 1 from databases where branch_id = ? and owner_name = ? limit 1")) {
            ps.setString(1, branchId);
            ps.setString(2, role);
            try (var rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    public static void delete(Connection c, long id) throws SQLException {
        try (var ps = c.prepareStatement("delete from databases where id = ?")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    public static void copy(Connection c, String fromBranch, String toBranch, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("insert into databases (branch_id, name, owner_name, created_at, updated_at)"
                + " select ?, name, owner_name, ?, ? from databases where branch_id = ? order by id")) {
            ps.setString(1, toBranch);
            Sql.setInstant(ps, 2, now);
            Sql.setInstant(ps, 3, now);
            ps.setString(4, fromBranch);
            ps.executeUpdate();
        }
    }

    private static Database map(ResultSet rs) throws SQLException {
        return new Database(rs.getLong("id"), rs.getString("branch_id"), rs.getString("name"), rs.getString("owner_name"),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"));
    }
}
