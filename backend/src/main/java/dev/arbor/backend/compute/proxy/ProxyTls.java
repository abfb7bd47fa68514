package dev.arbor.backend.compute.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.PemKeyCertOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.X509KeyManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The proxy's TLS identity: configured PEM files, or a self-signed certificate made at first start. */
public final class ProxyTls {
    private static final Logger log = LoggerFactory.getLogger(ProxyTls.class);

    private ProxyTls() {}

    /** Where postgres finds the proxy's certificate chain and key (PEM). */
    public record PemFiles(Path certChain, Path privateKey) {}

    /**
     * Writes the proxy's certificate chain and private key as PEM files that postgres, running as {@code uid:gid},
     * can read (the key 0600 and owned by it, as postgres demands). Endpoints serve the same certificate, so a
     * TLS session the proxy hands through to postgres still satisfies {@code channel_binding=require}, which
     * binds to the server certificate. Rewritten at every start (tmp file, then rename), so a replaced
     * certificate reaches endpoints started afterwards.
     */
    public static PemFiles pemForPostgres(KeyCertOptions tls, Vertx vertx, Path dir, int uid, int gid) throws Exception {
        X509KeyManager km = null;
        for (var m : tls.getKeyManagerFactory(vertx).getKeyManagers()) if (m instanceof X509KeyManager x) km = x;
        if (km == null) throw new IOException("the proxy's TLS options have no X.509 key manager");
        String alias = null;
        for (String type : List.of("EC", "RSA", "EdDSA", "Ed25519")) {
            String[] a = km.getServerAliases(type, null);
            if (a != null && a.length > 0) {
                alias = a[0];
                break;
            }
        }
        if (alias == null) throw new IOException("the proxy's TLS options hold no server key");
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        StringBuilder chain = new StringBuilder();
        for (X509Certificate c : km.getCertificateChain(alias))
            chain.append("-----BEGIN CERTIFICATE-----\n").append(b64.encodeToString(c.getEncoded())).append("\n-----END CERTIFICATE-----\n");
        String key = "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(km.getPrivateKey(alias).getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        Files.createDirectories(dir);
        PemFiles f = new PemFiles(dir.resolve("endpoint-tls.crt"), dir.resolve("endpoint-tls.key"));
        writeOwned(f.certChain(), chain.toString(), "rw-r--r--", uid, gid);
        writeOwned(f.privateKey(), key, "rw-------", uid, gid);
        return f;
    }

    private static void writeOwned(Path file, String text, String perms, int uid, int gid) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text);
        if (uid >= 0) {
            Files.setAttribute(tmp, "unix:uid", uid);
            Files.setAttribute(tmp, "unix:gid", gid);
        }
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(perms));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    public static KeyCertOptions pem(Path certChain, Path privateKey) {
        return new PemKeyCertOptions().setCertPath(certChain.toString()).setKeyPath(privateKey.toString());
    }

    /**
     * A PKCS#12 key store in {@code dir} (made once with the JDK's keytool, kept across restarts) holding a
     * self-signed certificate for {@code domain} and {@code *.domain}. Clients use sslmode=require.
     */
    public static KeyCertOptions selfSigned(Path dir, String domain) throws IOException {
        Path store = dir.resolve("proxy-tls.p12");
        Path passFile = dir.resolve("proxy-tls.pass");
        if (!Files.exists(store) || !Files.exists(passFile)) {
            Files.createDirectories(dir);
            String pass = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            Path tmp = dir.resolve("proxy-tls.p12.tmp");
            Files.deleteIfExists(tmp);
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            List<String> cmd = List.of(keytool.toString(), "-genkeypair", "-alias", "arbor-proxy", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-validity", "3650", "-dname", "CN=" + domain,
                    "-ext", "SAN=dns:" + domain + ",dns:*." + domain + ",ip:127.0.0.1",
                    "-storetype", "PKCS12", "-keystore", tmp.toString(), "-storepass:env", "ARBOR_TLS_PASS");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("ARBOR_TLS_PASS", pass);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
                    throw new IOException("keytool failed to make the proxy certificate: " + out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            Files.writeString(passFile, pass);
            Files.setPosixFilePermissions(passFile, PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, store, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            log.info("made a self-signed proxy certificate for {} at {}", domain, store);
        }
        return new KeyStoreOptions().setType("PKCS12").setPath(store.toString())
                .setPassword(Files.readString(passFile).trim());
    }
}
