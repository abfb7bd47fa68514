package dev.arbor.backend.logging;

import dev.arbor.backend.api.RequestIds;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The SLF4J provider writes one parseable JSON object per line, with MDC, key/values, errors, redaction. */
class JsonLogTest {
    private static final Logger log = LoggerFactory.getLogger(JsonLogTest.class);

    private static List<JsonObject> capture(Runnable r) throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (AutoCloseable tap = LogOutput.tap(lines::add)) {
            r.run();
        }
        for (String l : lines) assertThat(l).doesNotContain("\n");
        return lines.stream().map(JsonObject::new).filter(j -> j.getString("logger").equals(JsonLogTest.class.getName())).toList();
    }

    @Test
    void providerIsOursAndLinesAreJsonWithFields() throws Exception {
        assertThat(LoggerFactory.getILoggerFactory().getLogger("x")).isInstanceOf(JsonLogger.class);
        List<JsonObject> out = capture(() -> {
            log.info("hello {} \"quoted\"\nsecond line", "world");
            log.atWarn().addKeyValue("status", 503).addKeyValue("who", "me").log("with kv");
            log.error("boom", new IllegalStateException("bad state"));
            log.debug("not written at info");
        });
        assertThat(out).hasSize(3);
        assertThat(out.get(0).getString("msg")).isEqualTo("hello world \"quoted\"\nsecond line");
        assertThat(out.get(0).getString("level")).isEqualTo("INFO");
        assertThat(out.get(0).getString("ts")).endsWith("Z");
        assertThat(out.get(0).getString("thread")).isEqualTo(Thread.currentThread().getName());
        assertThat(out.get(1).getInteger("status")).isEqualTo(503);
        assertThat(out.get(1).getString("who")).isEqualTo("me");
        assertThat(out.get(2).getString("error")).isEqualTo("java.lang.IllegalStateException: bad state");
        assertThat(out.get(2).getString("stack")).contains("JsonLogTest");
    }

    @Test
    void requestIdFromMdcIsOnEveryLineOfTheBoundWorkOnly() throws Exception {
        List<JsonObject> out = capture(() -> {
            Thread t = Thread.ofVirtual().start(RequestIds.bind("req-42", () -> log.info("inside")));
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            log.info("outside");
        });
        assertThat(out).hasSize(2);
        assertThat(out.get(0).getString("request_id")).isEqualTo("req-42");
        List<String> raw = new CopyOnWriteArrayList<>();
        try (AutoCloseable tap = LogOutput.tap(raw::add)) {
            RequestIds.bind("req-43", () -> log.atInfo().addKeyValue(RequestIds.MDC_KEY, "req-43").log("both")).run();
        }
        assertThat(raw).singleElement().satisfies(l -> assertThat(l.split("\"request_id\"", -1)).as(l).hasSize(2));
        assertThat(out.get(1).containsKey("request_id")).isFalse();
        assertThat(MDC.get(RequestIds.MDC_KEY)).isNull();
    }

    @Test
    void credentialsInTextAreMasked() throws Exception {
        List<JsonObject> out = capture(() -> {
            log.warn("cannot reach postgresql://arbor:s3cr3t-pw@db:5432/arbor?sslmode=require");
            log.warn("header was Bearer abcDEF123.token");
            log.warn("jdbc:postgresql://h/db?user=x&password=hunter2&ssl=true");
            log.warn("failed", new RuntimeException("url postgresql://u:topsecret@h/d"));
        });
        String all = out.toString();
        assertThat(all).doesNotContain("s3cr3t-pw").doesNotContain("abcDEF123").doesNotContain("hunter2").doesNotContain("topsecret");
        assertThat(out.get(0).getString("msg")).isEqualTo("cannot reach postgresql://arbor:***@db:5432/arbor?sslmode=require");
        assertThat(out.get(2).getString("msg")).contains("password=***&ssl=true");
    }

    @Test
    void levelsFollowTheLongestPrefix() {
        try {
            LogConfig.setLevels("warn,dev.arbor.backend.logging=debug,dev.arbor.backend.logging.Other=error");
            assertThat(LoggerFactory.getLogger(JsonLogTest.class).isDebugEnabled()).isTrue();
            assertThat(LoggerFactory.getLogger("dev.arbor.backend.logging.Other").isWarnEnabled()).isFalse();
            assertThat(LoggerFactory.getLogger("io.netty.X").isInfoEnabled()).isFalse();
            assertThat(LoggerFactory.getLogger("io.netty.X").isWarnEnabled()).isTrue();
        } finally {
            LogConfig.setLevels("info");
        }
    }

    @Test
    void julRecordsBecomeJsonLines() throws Exception {
        LoggerFactory.getLogger("init");  // the provider installs the bridge when SLF4J starts
        List<String> lines = new CopyOnWriteArrayList<>();
        try (AutoCloseable tap = LogOutput.tap(lines::add)) {
            java.util.logging.Logger.getLogger("org.postgresql.test").warning("from jul");
        }
        assertThat(lines).anySatisfy(l -> {
            JsonObject j = new JsonObject(l);
            assertThat(j.getString("logger")).isEqualTo("org.postgresql.test");
            assertThat(j.getString("msg")).isEqualTo("from jul");
            assertThat(j.getString("level")).isEqualTo("WARN");
        });
    }
}
