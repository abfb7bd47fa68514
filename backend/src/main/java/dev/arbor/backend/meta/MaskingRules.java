package dev.arbor.backend.meta;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Masking rules of a branch (Neon's anonymized branches), in the order the client gave them. */
public final class MaskingRules {
    private MaskingRules() {}

    /** Exactly one of {@code maskingFunction} / {@code maskingValue} is set. */
    public record Rule(String databaseName, String schemaName, String tableName, String columnName,
                       String maskingFunction, String maskingValue) {}

    public static List<Rule> get(Connection c, String branchId) throws SQLException {
        List<Rule> out = new ArrayList<>();
        try (var ps = c.prepareStatement("select * from masking_rules where branch_id = ? order by position")) {
            ps.setString(1, branchId);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Rule(rs.getString("database_name"), rs.getString("schema_name"), rs.getString("table_name"),
                            rs.getString("column_name"), rs.getString("masking_function"), rs.getString("masking_value")));
                }
            }
        }
        return out;
    }

    /** Replaces all rules of the branch. */
    public static void replace(Connection c, String branchId, List<Rule> rules) throws SQLException {
        try (var ps = c.prepareStatement("delete from masking_rules where branch_id = ?")) {
            ps.setString(1, branchId);
            ps.executeUpdate();
        }
        try (var ps = c.prepareStatement("insert into masking_rules (branch_id, position, database_name, schema_name, table_name,"
                + " column_name, masking_function, masking_value) values (?,?,?,?,?,?,?,?)")) {
            int pos = 0;
            for (Rule r : rules) {
                ps.setString(1, branchId);
                ps.setInt(2, pos++);
                ps.setString(3, r.databaseName());
                ps.setString(4, r.schemaName());
                ps.setString(5, r.tableName());
                ps.setString(6, r.columnName());
                Sql.setString(ps, 7, r.maskingFunction());
                Sql.setString(ps, 8, r.maskingValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
