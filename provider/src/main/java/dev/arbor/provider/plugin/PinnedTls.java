package dev.arbor.provider.plugin;

import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolConfig;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandler;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
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

    static SslContext serverContext(AutoMtls own, X509Certificate client) throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new X509ExtendedKeyManager[] {new OneKey(own)}, new X509ExtendedTrustManager[] {new Pinned(client)},
                null);
        ApplicationProtocolConfig alpn = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2");
        return new PatientContext(ctx, alpn);
    }

    /**
     * netty aborts a TLS handshake after 10 s. A cold JVM on a loaded machine (Terraform starts several
     * plugins at once) can take longer than that, and Terraform then reports "Plugin did not respond".
     */
    private static final class PatientContext extends JdkSslContext {
        private static final long HANDSHAKE_TIMEOUT_MS = 120_000;

        PatientContext(SSLContext ctx, ApplicationProtocolConfig alpn) {
            super(ctx, false, null, IdentityCipherSuiteFilter.INSTANCE, alpn, ClientAuth.REQUIRE,
                    new String[] {"TLSv1.3", "TLSv1.2"}, false);
        }

        @Override
        protected SslHandler newHandler(ByteBufAllocator alloc, boolean startTls) {
            SslHandler h = super.newHandler(alloc, startTls);
            h.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MS);
            return h;
        }

        @Override
        protected SslHandler newHandler(ByteBufAllocator alloc, boolean startTls, java.util.concurrent.Executor executor) {
            SslHandler h = super.newHandler(alloc, startTls, executor);
            h.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MS);
            return h;
        }
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
