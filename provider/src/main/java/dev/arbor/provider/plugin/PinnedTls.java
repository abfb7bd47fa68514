package dev.arbor.provider.plugin;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Server TLS for go-plugin's AutoMTLS built straight on JSSE: one fixed key, and a trust manager that
 * accepts exactly Terraform's client certificate. Skipping KeyStore/KeyManagerFactory/PKIX set-up
 * saves a large share of each launch, and JSSE (unlike BoringSSL) asks for ECDSA+SHA512, which Go's
 * P-521 client certificate needs.
 */
final class PinnedTls {
    private PinnedTls() {}

    /**
     * mTLS credentials for the OkHttp server transport: it builds the SSLContext from these managers (JDK
     * provider), requires the client certificate and negotiates "h2" over ALPN. It sets no handshake deadline,
     * so a cold JVM on a loaded machine is not cut off mid-handshake (netty's 10 s default did that).
     */
    static ServerCredentials credentials(AutoMtls own, X509Certificate client) {
        return TlsServerCredentials.newBuilder()
                .keyManager(new OneKey(own))
                .trustManager(new Pinned(client))
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                .build();
    }

    private static final class OneKey extends X509ExtendedKeyManager {
        private final AutoMtls own;

        OneKey(AutoMtls own) {
            this.own = own;
        }

        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[] {"plugin"};
        }

        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return "EC".equals(keyType) ? "plugin" : null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return "EC".equals(keyType) ? "plugin" : null;
        }

        public X509Certificate[] getCertificateChain(String alias) {
            return new X509Certificate[] {own.certificate()};
        }

        public PrivateKey getPrivateKey(String alias) {
            return own.key();
        }
    }

    private static final class Pinned extends X509ExtendedTrustManager {
        private final X509Certificate client;

        Pinned(X509Certificate client) {
            this.client = client;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0 || !chain[0].equals(client)) {
                throw new CertificateException("client certificate is not the one Terraform announced");
            }
            chain[0].checkValidity();
        }

        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
            check(chain);
        }

        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
            check(chain);
        }

        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("server side only");
        }

        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
            throw new CertificateException("server side only");
        }

        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
            throw new CertificateException("server side only");
        }

        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {client};
        }
    }
}
