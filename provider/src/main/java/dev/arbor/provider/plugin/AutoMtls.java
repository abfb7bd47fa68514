package dev.arbor.provider.plugin;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * go-plugin's AutoMTLS, plugin side: a fresh self-signed certificate per launch, which Terraform pins
 * (it trusts exactly the DER we print in the handshake and checks SAN "localhost").
 */
public record AutoMtls(PrivateKey key, X509Certificate certificate) {
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");

    /** P-256 for the plugin's own certificate: cheap to generate and sign. */
    public static AutoMtls generate() {
        return generate("secp256r1", "SHA256withECDSA", "1.2.840.10045.4.3.2");
    }

    /** A self-signed CA+server+client certificate for "localhost" on the given curve. */
    public static AutoMtls generate(String curve, String sigAlg, String sigOid) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec(curve));
            KeyPair kp = kpg.generateKeyPair();
            ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
            byte[] name = Der.seq(Der.set(Der.seq(Der.oid("2.5.4.10"), Der.utf8("Arbor"))),
                    Der.set(Der.seq(Der.oid("2.5.4.3"), Der.utf8("localhost"))));
            byte[] algId = Der.seq(Der.oid(sigOid));
            byte[] extensions = Der.seq(
                    Der.seq(Der.oid("2.5.29.19"), Der.bool(true), Der.octets(Der.seq(Der.bool(true)))),
                    // digitalSignature | keyEncipherment | keyCertSign
                    Der.seq(Der.oid("2.5.29.15"), Der.bool(true), Der.octets(Der.bits(2, new byte[] {(byte) 0xa4}))),
                    Der.seq(Der.oid("2.5.29.37"), Der.octets(Der.seq(
                            Der.oid("1.3.6.1.5.5.7.3.1"), Der.oid("1.3.6.1.5.5.7.3.2")))),
                    Der.seq(Der.oid("2.5.29.17"), Der.octets(Der.seq(
                            Der.tlv(0x82, "localhost".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                            Der.tlv(0x87, new byte[] {127, 0, 0, 1})))));
            byte[] tbs = Der.seq(
                    Der.explicit(0, Der.integer(BigInteger.TWO)),
                    Der.integer(new BigInteger(63, new SecureRandom()).add(BigInteger.ONE)),
                    algId,
                    name,
                    Der.seq(Der.utcTime(now.minusMinutes(1).format(UTC_TIME)),
                            Der.utcTime(now.plusYears(10).format(UTC_TIME))),
                    name,
                    kp.getPublic().getEncoded(),
                    Der.explicit(3, extensions));
            Signature s = Signature.getInstance(sigAlg);
            s.initSign(kp.getPrivate());
            s.update(tbs);
            byte[] der = Der.seq(tbs, algId, Der.bits(0, s.sign()));
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            return new AutoMtls(kp.getPrivate(), cert);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the plugin certificate", e);
        }
    }

    /** The handshake's certificate field: base64 of the DER without padding (Go's RawStdEncoding). */
    public String handshakeField() {
        try {
            return Base64.getEncoder().withoutPadding().encodeToString(certificate.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static X509Certificate parsePem(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("PLUGIN_CLIENT_CERT is not a PEM certificate", e);
        }
    }

    public String pem() {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
