package dev.arbor.backend.compute.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

/**
 * The data phase of a proxied connection: each side's Netty pipeline hands its (decrypted) bytes straight to the
 * other side's pipeline, below Vert.x. A {@code pipeTo} between the two {@code NetSocket}s copied every read into
 * a heap {@code Buffer}, went through the socket's inbound queue, a write promise, and flushed per write; at tens of
 * thousands of small messages a second (one per query and answer) that per-message overhead was most of the
 * proxy's CPU. Here a read is passed on without a copy and flushed once per batch of reads, and backpressure
 * stops reading a side while the other cannot take more. Vert.x still sees the close and exceptions, so its
 * close handlers (closing the other side, counting the connection out) keep working.
 */
final class Splice extends ChannelInboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private Splice peer;
    private boolean pendingFlush;

    private Splice() {}

    /**
     * Splices {@code a} and {@code b}; call on {@code a}'s event loop after the last byte written through Vert.x.
     * Both normally share that loop (the backend connection is made from the client's context), so a relay is a
     * plain method call; across loops Netty hands writes, flushes and read toggles over to the owning loop in order.
     */
    static void between(NetSocket a, NetSocket b) {
        Splice sa = new Splice(), sb = new Splice();
        sa.peer = sb;
        sb.peer = sa;
        install((NetSocketInternal) a, sa);
        install((NetSocketInternal) b, sb);
    }

    private static void install(NetSocketInternal socket, Splice splice) {
        ChannelHandlerContext vertx = socket.channelHandlerContext();
        vertx.pipeline().addBefore(vertx.name(), "arbor-splice", splice);
        // now, not in handlerAdded: that runs later when this is not the channel's event loop, and a read on the
        // other side must not find its peer without a context
        splice.ctx = vertx.pipeline().context(splice);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        peer.ctx.write(msg, peer.ctx.voidPromise());
        pendingFlush = true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (pendingFlush) {
            pendingFlush = false;
            peer.ctx.flush();
            // the other side's socket buffer is full: stop reading this side until it drains
            if (!peer.ctx.channel().isWritable()) ctx.channel().config().setAutoRead(false);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) peer.ctx.channel().config().setAutoRead(true);
        ctx.fireChannelWritabilityChanged();
    }
}
