package dev.arbor.provider.plugin;

import com.google.protobuf.Empty;
import dev.arbor.provider.proto.goplugin.GRPCBrokerGrpc;
import dev.arbor.provider.proto.goplugin.GRPCControllerGrpc;
import dev.arbor.provider.proto.goplugin.GRPCStdioGrpc;
import dev.arbor.provider.proto.goplugin.GoPlugin;
import io.grpc.stub.StreamObserver;

/** The services go-plugin's host expects next to the provider's own. */
final class GoPluginServices {
    private GoPluginServices() {}

    /** Shutdown must end the process quickly: Terraform SIGKILLs a plugin still alive after ~2 s. */
    static final class Controller extends GRPCControllerGrpc.GRPCControllerImplBase {
        private final Runnable exit;

        Controller(Runnable exit) {
            this.exit = exit;
        }

        @Override
        public void shutdown(GoPlugin.Empty request, StreamObserver<GoPlugin.Empty> out) {
            out.onNext(GoPlugin.Empty.getDefaultInstance());
            out.onCompleted();
            exit.run();
        }
    }

    /** The provider never writes to the real stdout after the handshake, so the stream stays silent. */
    static final class Stdio extends GRPCStdioGrpc.GRPCStdioImplBase {
        @Override
        public void streamStdio(Empty request, StreamObserver<GoPlugin.StdioData> out) {
            // Held open until the process exits.
        }
    }

    /** The provider brokers no extra connections; accept the stream and ignore it. */
    static final class Broker extends GRPCBrokerGrpc.GRPCBrokerImplBase {
        @Override
        public StreamObserver<GoPlugin.ConnInfo> startStream(StreamObserver<GoPlugin.ConnInfo> out) {
            return new StreamObserver<>() {
                public void onNext(GoPlugin.ConnInfo value) {}

                public void onError(Throwable t) {}

                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }
}
