package dev.arbor.backend.console;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The web console: static files from the classpath folder {@code console/}, served at {@code /console/}.
 * The page itself needs no authentication; every API call it makes carries the user's API key, which it
 * keeps in sessionStorage. A strict Content-Security-Policy: the console loads nothing from elsewhere
 * (the server may have no internet) and talks only to this server's API.
 */
public final class ConsoleRoutes {
    public static final String PATH = "/console";
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private ConsoleRoutes() {}

    /** Adds the console's routes ahead of the API's catch-all 404. */
    public static void mount(Router router) {
        // Vert.x matches "/console" for "/console/" too, so redirect only the bare paths
        router.get(PATH).handler(ctx -> {
            if (ctx.request().path().equals(PATH)) ctx.redirect(PATH + "/");
            else ctx.next();
        });
        router.get("/").handler(ctx -> {
            if (ctx.request().path().equals("/")) ctx.redirect(PATH + "/");
            else ctx.next();
        });
        router.get(PATH + "/*").handler(ctx -> {
            ctx.response().putHeader("Content-Security-Policy", CSP)
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Referrer-Policy", "no-referrer")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
            ctx.next();
        }).handler(StaticHandler.create("console").setCachingEnabled(false).setIndexPage("index.html")
                .setDefaultContentEncoding("UTF-8"));
    }
}
