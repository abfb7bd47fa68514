package dev.arbor.provider.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertCacheTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondLaunchReusesThePairAndAnythingSuspectIsReplaced() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("run"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Map<String, String> env = Map.of("XDG_RUNTIME_DIR", dir.toString());
        AutoMtls first = CertCache.cachedOrGenerate(env);
        Path file = dir.resolve(CertCache.FILE);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        AutoMtls second = CertCache.cachedOrGenerate(env);
        assertThat(second.handshakeField()).isEqualTo(first.handshakeField());
        assertThat(second.key().getEncoded()).isEqualTo(first.key().getEncoded());

        // expired
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(CertCache.MAX_AGE).minusSeconds(60)));
        AutoMtls third = CertCache.cachedOrGenerate(env);
        assertThat(third.handshakeField()).isNotEqualTo(first.handshakeField());
        // readable by others
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(CertCache.load(file)).isNull();
        // damaged
        Files.write(file, new byte[] {1, 2, 3});
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(CertCache.load(file)).isNull();
        // off
        assertThat(CertCache.cachedOrGenerate(Map.of("XDG_RUNTIME_DIR", dir.toString(), "ARBOR_PROVIDER_TLS_CACHE", "off"))
                .handshakeField()).isNotEqualTo(CertCache.cachedOrGenerate(env).handshakeField());
    }

    @Test
    void aDirectoryOthersCanReadIsNotUsed() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("shared"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        AutoMtls pair = CertCache.cachedOrGenerate(Map.of("XDG_RUNTIME_DIR", dir.toString()));
        assertThat(pair.certificate()).isNotNull();
        assertThat(dir.resolve(CertCache.FILE)).doesNotExist();
    }
}
