package dev.arbor.backend.api;

import io.vertx.ext.web.RoutingContext;
import org.slf4j.MDC;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Request ids: an incoming {@code X-Request-Id} is kept when it looks like an id (so a caller's or load
 * balancer's trace id follows the request), anything else is replaced by a fresh UUID. The id is in the
 * {@code X-Request-Id} response header, in error bodies' {@code request_id}, and in the MDC key
 * {@value #MDC_KEY} of every log line written while the request is handled.
 */
public final class RequestIds {
    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "request_id";
    private static final String CTX_KEY = "arbor.requestId";
    /** Printable, no spaces or quotes: it is echoed in a header and written to logs. */
    private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

    private RequestIds() {}

    /** This request's id, assigned on first use (the observability handler asks first, before any route). */
    public static String of(RoutingContext ctx) {
        String id = ctx.get(CTX_KEY);
        if (id == null) {
            String incoming = ctx.request().getHeader(HEADER);
            id = incoming != null && ACCEPTED.matcher(incoming).matches() ? incoming : UUID.randomUUID().toString();
            ctx.put(CTX_KEY, id);
        }
        return id;
    }

    /** {@code work} with the request id in the logging MDC of whatever thread runs it. */
    public static Runnable bind(String requestId, Runnable work) {
        return () -> {
            String previous = MDC.get(MDC_KEY);
            MDC.put(MDC_KEY, requestId);
            try {
                work.run();
            } finally {
                if (previous == null) MDC.remove(MDC_KEY);
                else MDC.put(MDC_KEY, previous);
            }
        };
    }
}
