package dev.arbor.backend.compute.proxy;

import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.PemKeyCertOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The proxy's TLS identity: configured PEM files, or a self-signed certificate made at first start. */
public final class ProxyTls {
    private static final Logger log = LoggerFactory.getLogger(ProxyTls.class);

    private ProxyTls() {}

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
