package dev.arbor.backend.meta;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Encrypts role passwords at rest (AES-256-GCM) with a key kept in {@code <data-dir>/secret-key} (0600),
 * so a dump of the metadata database alone does not reveal them.
 */
public final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec key;

    private Secrets(byte[] key) { this.key = new SecretKeySpec(key, "AES"); }

    public static Secrets loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] raw = new byte[32];
            RANDOM.nextBytes(raw);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, HexFormat.of().formatHex(raw) + "\n");
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) { ch.force(true); }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        }
        return new Secrets(HexFormat.of().parseHex(Files.readString(file).trim()));
    }

    public String encrypt(String plain) {
        try {
            byte[] iv = new byte[12];
            RANDOM.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            byte[] ct = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(12 + ct.length).put(iv).put(ct).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String decrypt(String enc) {
        try {
            byte[] all = Base64.getDecoder().decode(enc);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, 12));
            return new String(c.doFinal(all, 12, all.length - 12), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot decrypt a stored password (wrong secret-key file?)", e);
        }
    }

    /** A Neon-style role password: {@code npg_} and 12 random alphanumerics. */
    public static String newPassword() {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder sb = new StringBuilder("npg_");
        for (int i = 0; i < 16; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }
}
