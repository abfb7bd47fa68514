package dev.arbor.backend;

import dev.arbor.backend.pg.PgBinaries;
import dev.arbor.backend.pg.PgCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static dev.arbor.backend.TestServer.ok;
import static org.assertj.core.api.Assertions.assertThat;

/** --metadata-url: metadata in an external PostgreSQL (no embedded cluster), migrated once, kept across restarts. */
class ExternalMetadataTest {
    @Test
    void serverUsesExternalMetadataDatabase() throws Exception {
        try (TestServer s = TestServer.start(); PgCluster external = new PgCluster(s.dir.resolve("external-pg"), PgBinaries.locate())) {
            s.stop();
            external.start();
            String url = "postgresql://" + PgCluster.SUPERUSER + ":" + URLEncoder.encode(external.password(), StandardCharsets.UTF_8)
                    + "@127.0.0.1:" + external.port() + "/" + PgCluster.DATABASE;
            java.nio.file.Path data2 = s.dir.resolve("data2");
            var cfg = ServerConfig.defaults(data2).withApiPort(0).withProxyPort(0).withMetadataUrl(url);
            try (ArborServer a = ArborServer.start(cfg, ComputeFactory.none())) {
                s.server = a;
                s.adminKey = Files.readString(a.adminKeyFile()).strip();
                String pid = s.createProject("external").getJsonObject("project").getString("id");
                assertThat(data2.resolve("metadata")).doesNotExist();
                a.close();
                try (ArborServer b = ArborServer.start(cfg, ComputeFactory.none())) {
                    s.server = b;
                    JsonObject p = ok(s.get("/projects/" + pid)).obj("project");
                    assertThat(p.getString("name")).isEqualTo("external");
                } finally {
                    s.server = null;
                }
            }
            try (var c = java.sql.DriverManager.getConnection(external.jdbcUrl(PgCluster.DATABASE), PgCluster.SUPERUSER, external.password());
                 var rs = c.createStatement().executeQuery("select count(*), max(version) from schema_version")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(rs.getInt(2));  // each migration applied once, not again at the restart
            }
        }
    }
}
