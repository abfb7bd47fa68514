package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.Procs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The proxy checks passwords against the role's SCRAM verifier in the endpoint's pg_authid, like postgres
 * itself: roles created with SQL log in, ALTER ROLE ... PASSWORD takes effect, NOLOGIN, md5 and expired
 * passwords are refused with postgres' own errors. Real psql and pgjdbc, plain SCRAM and channel_binding=require.
 */
class ProxyRoleSecretsTest {
    static ComputeHarness h;
    static String ep;

    @BeforeAll
    static void up() throws Exception {
        h = new ComputeHarness(Duration.ofMinutes(5));
        ep = "ep-proxy-roles";
        h.compute.applyConfig(h.endpoint(ep, h.newRoot(), "read_write", -1));
    }

    @AfterAll
    static void down() throws Exception {
        if (h != null) h.close();
    }

    /** What neonctl prints for a role: SNI host, the proxy's port, channel binding required. */
    private static String uri(String endpoint, String user, String password, boolean bound) {
        return "postgresql://" + user + ":" + password + "@" + endpoint + ".localhost:" + h.proxyPort + "/" + ComputeHarness.DB
                + "?sslmode=require&hostaddr=127.0.0.1" + (bound ? "&channel_binding=require" : "");
    }

    private static Connection jdbc(String libpqUri) throws SQLException {
        ConnectionUris.Jdbc j = ConnectionUris.jdbc(libpqUri);
        j.properties().setProperty("connectTimeout", "60");
        j.properties().setProperty("sslResponseTimeout", "60000");
        return DriverManager.getConnection(j.url(), j.properties());
    }

    /** SQL run through the proxy as the API-managed owner role (it has CREATEROLE, as on Neon). */
    private static void asOwner(String endpoint, String sql) throws Exception {
        Procs.Result r = ComputeHarness.psql(h.uri(endpoint), sql);
        assertThat(r.exit()).as(r.output()).isZero();
    }

    private static void logsIn(String endpoint, String user, String password) throws Exception {
        for (boolean bound : new boolean[] {false, true}) {
            String u = uri(endpoint, user, password, bound);
            Procs.Result r = ComputeHarness.psql(u, "SELECT current_user");
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output().trim()).isEqualTo(user);
            try (Connection c = jdbc(u); var st = c.createStatement(); var rs = st.executeQuery("SELECT current_user")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(user);
            }
        }
    }

    private static void refused(String endpoint, String user, String password, String sqlState, String message) throws Exception {
        for (boolean bound : new boolean[] {false, true}) {
            String u = uri(endpoint, user, password, bound);
            Procs.Result r = ComputeHarness.psql(u, "SELECT 1");
            assertThat(r.exit()).isNotZero();
            assertThat(r.output()).contains("FATAL").contains(message);
            assertThatThrownBy(() -> jdbc(u).close()).isInstanceOfSatisfying(PSQLException.class, e -> {
                assertThat(e.getSQLState()).isEqualTo(sqlState);
                assertThat(e.getMessage()).contains(message);
            });
        }
    }

    private static void wrongPassword(String endpoint, String user, String password) throws Exception {
        refused(endpoint, user, password, "28P01", "password authentication failed for user \"" + user + "\"");
    }

    @Test
    void roleCreatedWithSqlLogsInWithItsPasswordAndNotWithAnother() throws Exception {
        asOwner(ep, "CREATE ROLE sql_app LOGIN PASSWORD 'App-pw.1'");
        logsIn(ep, "sql_app", "App-pw.1");
        wrongPassword(ep, "sql_app", "App-pw.2");
        // a name that needs quoting in SQL reaches pg_authid as a bound parameter
        asOwner(ep, "CREATE ROLE \"o'neil\" LOGIN PASSWORD 'Quote-pw.1'");
        logsIn(ep, "o'neil", "Quote-pw.1");
        wrongPassword(ep, "nobody_at_all", "App-pw.1");
    }

    @Test
    void alterRolePasswordTakesEffectForSqlAndApiRoles() throws Exception {
        String own = "ep-proxy-roles-alter";  // its own endpoint: the API role's password changes here
        h.compute.applyConfig(h.endpoint(own, h.newRoot(), "read_write", -1));
        asOwner(own, "CREATE ROLE rotating LOGIN PASSWORD 'Old-pw.1'");
        logsIn(own, "rotating", "Old-pw.1");
        asOwner(own, "ALTER ROLE rotating PASSWORD 'New-pw.2'");
        logsIn(own, "rotating", "New-pw.2");
        wrongPassword(own, "rotating", "Old-pw.1");

        asOwner(own, "ALTER ROLE " + ComputeHarness.ROLE + " PASSWORD 'Rotated-owner.3'");
        logsIn(own, ComputeHarness.ROLE, "Rotated-owner.3");
        wrongPassword(own, ComputeHarness.ROLE, ComputeHarness.PASSWORD);
    }

    @Test
    void readOnlyComputeChecksSqlRolesInItsSnapshotAndApiRolesAgainstTheControlPlane() throws Exception {
        var root = h.newRoot();
        h.compute.applyConfig(h.endpoint("ep-proxy-roles-rw", root, "read_write", -1));
        asOwner("ep-proxy-roles-rw", "CREATE ROLE ro_reader LOGIN PASSWORD 'Reader-pw.1'");
        String ro = "ep-proxy-roles-ro";
        h.endpoint(ro, root, "read_only", -1);  // started by the proxy on first connect, a snapshot of the branch
        logsIn(ro, "ro_reader", "Reader-pw.1");
        wrongPassword(ro, "ro_reader", "Reader-pw.2");
        logsIn(ro, ComputeHarness.ROLE, ComputeHarness.PASSWORD);
        wrongPassword(ro, ComputeHarness.ROLE, "Reader-pw.1");
    }

    @Test
    void noLoginRoleIsRefusedAfterItsPasswordLikePostgresDoes() throws Exception {
        asOwner(ep, "CREATE ROLE locked NOLOGIN PASSWORD 'Locked-pw.1'");
        refused(ep, "locked", "Locked-pw.1", "28000", "role \"locked\" is not permitted to log in");
        wrongPassword(ep, "locked", "Locked-pw.2");
    }

    @Test
    void rolesWithoutAScramVerifierOrWithAnExpiredPasswordGet28P01() throws Exception {
        asOwner(ep, "SET password_encryption = 'md5'; CREATE ROLE legacy_md5 LOGIN PASSWORD 'Md5-pw.1'");
        wrongPassword(ep, "legacy_md5", "Md5-pw.1");
        asOwner(ep, "CREATE ROLE no_password LOGIN");
        wrongPassword(ep, "no_password", "anything");
        asOwner(ep, "CREATE ROLE expired LOGIN PASSWORD 'Expired-pw.1' VALID UNTIL '2001-01-01'");
        wrongPassword(ep, "expired", "Expired-pw.1");
        asOwner(ep, "ALTER ROLE expired VALID UNTIL 'infinity'");
        logsIn(ep, "expired", "Expired-pw.1");
    }
}
