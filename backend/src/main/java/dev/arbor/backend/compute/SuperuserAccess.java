package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.AdminSql;
import dev.arbor.backend.compute.process.ClusterTemplate;
import dev.arbor.backend.ops.ComputeControl;
import dev.arbor.backend.ops.EndpointSpec;

import java.io.IOException;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.util.HexFormat;
import java.util.Properties;

/**
 * Superuser JDBC to two private endpoints for the anonymization job. pgjdbc cannot use the private unix
 * socket, so the admin role gets a random one-off password for loopback SCRAM, cleared before the endpoints
 * are deleted (it never leaves this process and is never logged).
 */
final class SuperuserAccess {
    private final ComputeManager compute;

    SuperuserAccess(ComputeManager compute) { this.compute = compute; }

    void run(EndpointSpec source, EndpointSpec target, ComputeControl.JdbcWork work) throws Exception {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String password = HexFormat.of().formatHex(raw);
        try {
            int srcPort = compute.ensureRunning(source);
            int dstPort = compute.ensureRunning(target);
            setPassword(source, password);
            setPassword(target, password);
            work.run(db -> connect(srcPort, db, password), db -> connect(dstPort, db, password));
        } finally {
            try {
                if (compute.runningServer(target.endpointId()).isPresent()) setPassword(target, null);
            } finally {
                compute.delete(source);
                compute.delete(target);
            }
        }
    }

    private void setPassword(EndpointSpec spec, String password) throws IOException {
        compute.adminSql(spec.endpointId(), "postgres", "ALTER ROLE " + AdminSql.ident(ClusterTemplate.ADMIN_ROLE)
                + " PASSWORD " + (password == null ? "NULL" : AdminSql.literal(password)));
    }

    private static java.sql.Connection connect(int port, String database, String password) throws java.sql.SQLException {
        Properties p = new Properties();
        p.setProperty("user", ClusterTemplate.ADMIN_ROLE);
        p.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, p);
    }
}
