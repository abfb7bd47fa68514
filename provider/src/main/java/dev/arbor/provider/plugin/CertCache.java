package dev.arbor.provider.plugin;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Set;

/**
 * Reuses the plugin's AutoMTLS key and certificate across launches for a few hours. Generating and
 * self-signing a P-256 certificate costs ~100-150 ms of cold JVM CPU, paid 3-5 times per Terraform command.
 * The pair lives in a directory only the current user can read ({@code $XDG_RUNTIME_DIR}, else a 0700 directory
 * under the temp dir that must be ours), written 0600 then renamed; anything unexpected (wrong owner or mode,
 * damaged or expired file) falls back to a fresh pair. Terraform still pins whatever certificate the handshake
 * line names. {@code ARBOR_PROVIDER_TLS_CACHE=off} disables it.
 */
public final class CertCache {
    static final Duration MAX_AGE = Duration.ofHours(12);
    public static final String FILE = "arbor-provider-autotls.bin";
    private static final int MAGIC = 0x41524231; // "ARB1"
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    private CertCache() {}

    public static AutoMtls cachedOrGenerate(java.util.Map<String, String> env) {
        if ("off".equals(env.get("ARBOR_PROVIDER_TLS_CACHE"))) {
            return AutoMtls.generate();
        }
        Path dir;
        try {
            dir = privateDir(env);
        } catch (IOException | RuntimeException e) {
            return AutoMtls.generate();
        }
        Path file = dir.resolve(FILE);
        AutoMtls cached = load(file);
        if (cached != null) {
            return cached;
        }
        AutoMtls fresh = AutoMtls.generate();
        store(file, fresh);
        return fresh;
    }

    /** A directory readable by this user only, or an exception. */
    static Path privateDir(java.util.Map<String, String> env) throws IOException {
        String runtime = env.get("XDG_RUNTIME_DIR");
        Path dir = runtime != null && !runtime.isBlank() ? Path.of(runtime)
                : Path.of(System.getProperty("java.io.tmpdir"), "arbor-provider-" + System.getProperty("user.name"));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
        }
        String me = System.getProperty("user.name");
        if (!Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName().equals(me)
                || !PRIVATE_DIR.containsAll(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS))) {
            throw new IOException(dir + " is not private to " + me);
        }
        return dir;
    }

    static AutoMtls load(Path file) {
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    || Files.getLastModifiedTime(file).toInstant().isBefore(java.time.Instant.now().minus(MAX_AGE))
                    || !Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)
                            .containsAll(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS))) {
                return null;
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(file)));
            if (in.readInt() != MAGIC) {
                return null;
            }
            byte[] key = in.readNBytes(in.readUnsignedShort());
            byte[] cert = in.readNBytes(in.readUnsignedShort());
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(cert));
            c.checkValidity();
            return new AutoMtls(KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(key)), c);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return null; // damaged or unreadable: make a new pair
        }
    }

    public static void store(Path file, AutoMtls pair) {
        try {
            var bytes = new java.io.ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            byte[] key = pair.key().getEncoded();
            byte[] cert = pair.certificate().getEncoded();
            out.writeInt(MAGIC);
            out.writeShort(key.length);
            out.write(key);
            out.writeShort(cert.length);
            out.write(cert);
            Path tmp = Files.createTempFile(file.getParent(), ".autotls-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.write(tmp, bytes.toByteArray());
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // best effort: the next launch generates again
        }
    }
}
