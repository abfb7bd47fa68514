package dev.arbor.backend.twin;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Source URLs: what is accepted, and that the password only ever leaves through the passfile. */
class SourceUrlTest {
    @Test
    void parsesAndKeepsThePasswordApart() {
        SourceUrl u = SourceUrl.parse("postgresql://app%40corp:s3cr%3At@db.example.com:6543/shop?sslmode=require");
        assertThat(u.user()).isEqualTo("app@corp");
        assertThat(u.password()).contains("s3cr:t");
        assertThat(u.host()).isEqualTo("db.example.com");
        assertThat(u.port()).isEqualTo(6543);
        assertThat(u.database()).isEqualTo("shop");
        assertThat(u.redacted()).isEqualTo("postgresql://app%40corp:****@db.example.com:6543/shop?sslmode=require");
        assertThat(u.withoutPassword()).isEqualTo("postgresql://app%40corp@db.example.com:6543/shop?sslmode=require&connect_timeout=10")
                .doesNotContain("s3cr");
        assertThat(u.toString()).doesNotContain("s3cr");
        assertThat(u.scrub("FATAL: password s3cr:t or s3cr%3At is wrong")).isEqualTo("FATAL: password **** or **** is wrong");
    }

    @Test
    void defaultsPortAndKeepsAGivenTimeout() {
        SourceUrl u = SourceUrl.parse("postgres://u@h/d?connect_timeout=3");
        assertThat(u.port()).isEqualTo(5432);
        assertThat(u.password()).isEmpty();
        assertThat(u.withoutPassword()).isEqualTo("postgresql://u@h:5432/d?connect_timeout=3");
        assertThat(u.redacted()).isEqualTo("postgresql://u@h:5432/d?connect_timeout=3");
    }

    @Test
    void rejectsWhatIsNotOnePostgresDatabase() {
        assertThatThrownBy(() -> SourceUrl.parse("")).hasMessageContaining("required");
        assertThatThrownBy(() -> SourceUrl.parse("mysql://u:p@h/d")).hasMessageContaining("postgresql://");
        assertThatThrownBy(() -> SourceUrl.parse("postgresql://h/d")).hasMessageContaining("user name");
        assertThatThrownBy(() -> SourceUrl.parse("postgresql://u:pw@h")).hasMessageContaining("one database");
        assertThatThrownBy(() -> SourceUrl.parse("postgresql://u:pw@h/a/b")).hasMessageContaining("one database");
        assertThatThrownBy(() -> SourceUrl.parse("postgresql://u:topsecret@h:99999/d")).hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> SourceUrl.parse("postgresql://u:top secret@h/d")).hasMessageNotContaining("top secret");
    }

    @Test
    void passfileIsPrivateAndEscaped() throws Exception {
        Path dir = Files.createTempDirectory("twin-pass-");
        try {
            Path f = PgTools.passfile(dir, "x.pgpass", "a:b\\c");
            assertThat(Files.readString(f)).isEqualTo("*:*:*:*:a\\:b\\\\c\n");
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        } finally {
            try (var w = Files.walk(dir)) { w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
        }
    }

    @Test
    void sideDatabaseNamesFitPostgresLimit() {
        assertThat(ImportStep.sideName("neondb", "_arbor_import")).isEqualTo("neondb_arbor_import");
        assertThat(ImportStep.sideName("d".repeat(63), "_arbor_old")).hasSize(63).endsWith("_arbor_old");
    }
}
