package io.metronome.local;

import io.metronome.local.Http.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The web console in a real browser (the system's Chromium, driven through its chromedriver) against the local
 * stack over HTTP: sign in, start a run from the console, pause it in its delay and see it paused at its checkpoint
 * without reloading, resume it, approve it, see it complete; scroll a run of ten thousand steps with a bounded DOM;
 * see why a webhook delivery was ignored. Skipped, saying how to install them, where Chromium or its driver is
 * missing. Takes the screenshots the README shows (see {@link #SCREENSHOTS}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    private static final String KEY = "console-key-0123456789";
    /**
     * Where the screenshots go: the build's own directory, so a test run leaves the work tree as it was; the README's,
     * docs/console, with {@code -Dconsole.screenshots=../../docs/console}.
     */
    private static final Path SCREENSHOTS = Path.of(System.getProperty("console.screenshots", "target/console-screenshots"));
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Start, a delay long enough to pause in, an approval, the end. */
    private static final String ORDER_FLOW = """
            {"name": "Order fulfilment", "definition": {"nodes": [
              {"id": "total", "type": "transform", "config": {"expression": "$sum(input.items.price)"}},
              {"id": "cool-off", "type": "delay", "config": {"seconds": 12}},
              {"id": "approve", "type": "approval", "config": {"prompt": "Ship it?"}},
              {"id": "ship", "type": "succeed", "config": {"output": "{\\"shipped\\": true, \\"total\\": nodes.total}"}}],
             "edges": [{"from": "total", "to": "cool-off"}, {"from": "cool-off", "to": "approve"}, {"from": "approve", "to": "ship"}]}}""";

    private LocalStack stack;
    private Http.As user;
    private Http http;
    private WebDriver browser;
    private String base;
    /** The run of ten thousand steps, started first: it takes the local stack a couple of minutes. */
    private String bigMetronome;
    private String bigRun;
    private Instant bigRunStarted;
    /** The most rows the timeline may put in the page: what a viewport shows and a margin, whatever the run's size. */
    private static final int MAX_ROWS = 60;

    @BeforeAll
    void start() throws Exception {
        Optional<Path> chromium = executable("CHROME_BIN", "chromium", "chromium-browser", "google-chrome");
        Optional<Path> driver = executable("CHROMEDRIVER", "chromedriver");
        assumeTrue(chromium.isPresent() && driver.isPresent(), "the console's browser tests need Chromium and its driver: "
                + "apt-get install chromium chromium-driver (or set CHROME_BIN and CHROMEDRIVER)");
        stack = LocalStack.start(new LocalStack.Options(0, null, List.<String[]>of(new String[]{"ann", KEY}),
                Path.of("../../template.yaml")));
        http = new Http(stack.port());
        user = new Http.As(http, KEY);
        base = "http://127.0.0.1:" + stack.port();
        Reply big = user.post("/v1/metronomes", """
                {"name": "Ten thousand", "definition": {"nodes": [
                  {"id": "each", "type": "map", "config": {"items": "[1..10000]", "maxConcurrency": 100,
                    "iterator": {"type": "transform", "config": {"expression": "item * 2"}}}},
                  {"id": "done", "type": "succeed", "config": {"output": "nodes.each.count"}}],
                 "edges": [{"from": "each", "to": "done"}]}}""");
        assertThat(big.status()).as(big.raw()).isEqualTo(201);
        bigMetronome = big.data().get("id").asText();
        bigRunStarted = Instant.now();
        bigRun = user.post("/v1/metronomes/" + bigMetronome + "/runs", "{}").data().get("id").asText();
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.get().toFile())
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.get().toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1400");
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void signingInKeepsTheKeyInTheTabOnly() {
        browser.get(base + "/");
        assertThat(browser.getCurrentUrl()).isEqualTo(base + "/console");
        WebElement key = until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        key.sendKeys("mk_not-a-key");
        browser.findElement(By.cssSelector("form.sign-in button[type=submit]")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("key-error"), "not valid"));
        key.clear();
        key.sendKeys(KEY);
        browser.findElement(By.cssSelector("form.sign-in button[type=submit]")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "Metronomes"));
        assertThat(js("return sessionStorage.getItem('metronome.apiKey')")).isEqualTo(KEY);
        assertThat(js("return localStorage.length")).isEqualTo(0L);
        assertThat(browser.getCurrentUrl()).doesNotContain(KEY);
    }

    /** The console's Server-Sent Events parser, as the page loaded it, fed what a network may cut anywhere. */
    @Test
    @Order(2)
    void theEventParserReadsEventsHoweverTheBytesArriveSplit() {
        Object parsed = ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const url = performance.getEntriesByType('resource').map((e) => e.name).find((n) => /\\/events\\.[0-9a-f]{10}\\.js$/.test(n));
                import(url).then(({SseParser}) => {
                  const seen = [];
                  const p = new SseParser((type, data, id) => seen.push([type, data, id]), (ms) => seen.push(['retry', ms]));
                  const text = ': events of run r\\r\\n\\r\\nid: 1.0\\r\\nevent: step.started\\r\\ndata: {"a":\\r\\ndata: 1}\\r\\n\\r\\n'
                    + 'id: 1.1\\nevent: step.completed\\ndata:{"b":2}\\n\\nevent: end\\ndata: {}\\n\\nretry: 500\\n\\n';
                  for (let i = 0; i < text.length; i += 3) p.feed(text.slice(i, i + 3));
                  done(JSON.stringify(seen));
                }, (e) => done('failed: ' + e));
                """);
        assertThat(parsed).isEqualTo("[[\"step.started\",\"{\\\"a\\\":\\n1}\",\"1.0\"],[\"step.completed\",\"{\\\"b\\\":2}\",\"1.1\"],"
                + "[\"end\",\"{}\",null],[\"retry\",500]]");
    }

    @Test
    @Order(2)
    void aRunStartedFromTheConsoleIsPausedInItsDelayResumedApprovedAndSeenToComplete() throws IOException {
        Reply created = user.post("/v1/metronomes", ORDER_FLOW);
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String m = created.data().get("id").asText();

        browser.get(base + "/console#/m/" + m);
        until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#def-h ~ .graph-box svg g.node[data-node=cool-off]")));

        browser.get(base + "/console#/m/" + m + "/runs");
        WebElement input = until(ExpectedConditions.visibilityOfElementLocated(By.id("run-input")));
        input.clear();
        input.sendKeys("{\"items\": [{\"price\": 30},");
        browser.findElement(By.id("start-run")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("input-error"), "not valid JSON"));
        assertThat(input.getAttribute("aria-invalid")).isEqualTo("true");
        assertThat(user.get("/v1/metronomes/" + m + "/runs").data()).as("nothing was sent").isEmpty();
        input.sendKeys(" {\"price\": 25}]}");
        browser.findElement(By.id("start-run")).click();

        until(ExpectedConditions.urlMatches("/runs/run_"));
        String runId = browser.getCurrentUrl().replaceAll(".*/runs/", "");
        // It reaches its delay: the graph and the timeline say so, live.
        until(d -> "running".equals(node("cool-off").getAttribute("data-status")));
        assertThat(browser.findElements(By.cssSelector(".gantt-row[data-node=cool-off][data-status=running]"))).hasSize(1);

        browser.findElement(By.id("action-reason")).sendKeys("warehouse stock check");
        browser.findElement(By.id("pause")).click();
        until(d -> "paused".equals(runStatus()));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("checkpoint"), "cool-off"));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "warehouse stock check"));
        assertThat(browser.findElement(By.id("run-status")).getText()).contains("paused");
        assertThat(browser.findElement(By.id("pause")).isEnabled()).isFalse();
        assertThat(browser.findElement(By.id("approve")).isEnabled()).isFalse();

        browser.findElement(By.id("resume")).click();
        until(d -> "waiting_approval".equals(runStatus()));
        assertThat(browser.findElement(By.id("approve")).isEnabled()).isTrue();
        browser.findElement(By.id("action-reason")).sendKeys("VIP customer");
        browser.findElement(By.id("approve")).click();
        until(d -> "completed".equals(runStatus()));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("live-state"), "run ended"));
        until(d -> "completed".equals(node("ship").getAttribute("data-status")));
        assertThat(browser.findElement(By.id("audit")).getText()).contains("run.pause_requested by ann", "warehouse stock check",
                "checkpoint cool-off", "VIP customer", "run.completed");
        assertThat(browser.findElement(By.id("cancel")).isEnabled()).isFalse();

        // A step's output, opened from the timeline with the keyboard.
        WebElement row = browser.findElement(By.cssSelector(".gantt-row[data-node=total]"));
        row.click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("step-detail"), "output"));
        assertThat(browser.findElement(By.id("step-detail")).getText()).contains("55");
        // and with the keyboard: the timeline takes the focus, End goes to the last step, Enter opens it
        WebElement timeline = browser.findElement(By.cssSelector(".gantt-viewport"));
        timeline.sendKeys(org.openqa.selenium.Keys.END);
        browser.switchTo().activeElement().sendKeys(org.openqa.selenium.Keys.ENTER);
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-h"), "ship"));
        assertThat(browser.findElement(By.id("step-detail")).getText()).contains("shipped");
        browser.findElement(By.cssSelector(".gantt-row[data-node=total]")).click(); // rows are drawn anew: find it again
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-h"), "total"));
        screenshot("run.png");
        // A view older than the run (another tab acted first) offers what the server then refuses: its 409 is shown
        // as the server says it.
        js("document.getElementById('resume').disabled = false");
        browser.findElement(By.id("resume")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("action-message"), "cannot be resumed"));
        assertThat(browser.findElement(By.id("action-message")).getText()).startsWith("Refused: run " + runId);

        browser.get(base + "/console#/m/" + m + "/runs");
        until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runs tr[data-run='" + runId + "']")));
        new Select(browser.findElement(By.id("status-filter"))).selectByValue("failed");
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("runs"), "No failed runs"));
        new Select(browser.findElement(By.id("status-filter"))).selectByValue("completed");
        until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runs tr[data-run='" + runId + "']")));
        screenshot("runs.png");
    }

    @Test
    @Order(3)
    void theTriggerEventsShowWhyAWebhookDeliveryStartedNothing() throws IOException {
        Reply created = user.post("/v1/metronomes", ORDER_FLOW.replace("{\"name\": \"Order fulfilment\"",
                "{\"name\": \"Pull requests\", \"trigger\": {\"type\": \"webhook\", \"filter\": \"body.action = 'opened'\"}"));
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String m = created.data().get("id").asText();
        String secret = created.data().get("webhookSecret").asText();
        Reply ignored = deliver(m, secret, "dlv-1", "{\"action\": \"closed\", \"number\": 7}");
        assertThat(ignored.data().get("status").asText()).isEqualTo("ignored");
        String reason = ignored.data().get("reason").asText();
        Reply matched = deliver(m, secret, "dlv-2", "{\"action\": \"opened\", \"number\": 8}");
        assertThat(matched.data().get("status").asText()).isEqualTo("matched");

        browser.get(base + "/console#/m/" + m);
        WebElement row = until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#trigger-events tr[data-status=ignored]")));
        assertThat(row.getText()).contains("ignored", reason);
        WebElement started = browser.findElement(By.cssSelector("#trigger-events tr[data-status=matched]"));
        assertThat(started.findElement(By.tagName("a")).getText()).isEqualTo(matched.data().get("runId").asText());
        screenshot("metronome.png");
    }

    private Reply deliver(String metronomeId, String secret, String delivery, String body) {
        String ts = Long.toString(Instant.now().getEpochSecond());
        return http.call("POST", "/v1/hooks/" + metronomeId, Map.of("Content-Type", "application/json",
                "X-Metronome-Timestamp", ts, "X-Metronome-Delivery", delivery, "X-Metronome-Signature", "v1="
                        + io.metronome.engine.Triggers.sign(secret, ts + "." + delivery + ".",
                        body.getBytes(java.nio.charset.StandardCharsets.UTF_8))), body);
    }

    @Test
    @Order(4)
    void cancellingAsksFirstAndKeepsTheReason() {
        Reply created = user.post("/v1/metronomes", ORDER_FLOW);
        String m = created.data().get("id").asText();
        String runId = user.post("/v1/metronomes/" + m + "/runs", "{\"input\": {\"items\": []}}").data().get("id").asText();
        browser.get(base + "/console#/m/" + m + "/runs/" + runId);
        until(d -> "running".equals(node("cool-off").getAttribute("data-status")));
        browser.findElement(By.id("action-reason")).sendKeys("customer withdrew");
        browser.findElement(By.id("cancel")).click();
        until(ExpectedConditions.visibilityOfElementLocated(By.id("cancel-keep"))).click();
        assertThat(browser.findElement(By.id("cancel-dialog")).isDisplayed()).isFalse();
        assertThat(user.get("/v1/metronomes/" + m + "/runs/" + runId).data().get("status").asText()).isEqualTo("running");
        browser.findElement(By.id("cancel")).click();
        until(ExpectedConditions.visibilityOfElementLocated(By.id("cancel-confirm"))).click();
        until(d -> "cancelled".equals(runStatus()));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "customer withdrew"));
        assertThat(browser.findElement(By.id("resume")).isEnabled()).isFalse();
        assertThat(browser.findElement(By.id("cancel")).isEnabled()).isFalse();
    }

    @Test
    @Order(5)
    void aRunOfTenThousandStepsScrollsWithABoundedNumberOfRowsInThePageWhileLiveAndAfter() {
        browser.get(base + "/console#/m/" + bigMetronome + "/runs/" + bigRun); // the same document: wait for the page
        until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), bigRun));
        WebElement viewport = until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".gantt-viewport")));
        // While it runs (if it still does): live, and the page holds a window of rows, not the run.
        assertThat(rows()).isBetween(1, MAX_ROWS);
        if (user.get("/v1/metronomes/" + bigMetronome + "/runs/" + bigRun).data().get("status").asText().equals("running")) {
            until(ExpectedConditions.textToBePresentInElementLocated(By.id("live-state"), "following live"));
            js("arguments[0].scrollTop = arguments[0].scrollHeight", viewport);
            assertThat(rows()).isBetween(1, MAX_ROWS);
        }
        String status;
        do {
            status = user.get("/v1/metronomes/" + bigMetronome + "/runs/" + bigRun).data().get("status").asText();
        } while (!status.equals("completed") && Instant.now().isBefore(bigRunStarted.plus(Duration.ofMinutes(4))) && pause());
        System.out.println("the map of 10,000 items ran in " + Duration.between(bigRunStarted, Instant.now()).toSeconds() + " s");
        assertThat(status).isEqualTo("completed");
        // The page follows some 20,000 events and refreshes its open pages as they come: on a busy 2-core machine it
        // may be a minute behind the run when the run ends.
        Instant ended = Instant.now();
        new WebDriverWait(browser, Duration.ofSeconds(180)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .ignoring(org.openqa.selenium.NoSuchElementException.class).until(d -> "completed".equals(runStatus()));
        System.out.println("the page showed the map's run completed " + Duration.between(ended, Instant.now()).toSeconds()
                + " s after it was");
        until(d -> "completed".equals(node("each").getAttribute("data-status")));
        assertThat(node("each").getText()).contains("completed");

        // Scrolling to the end asks for the next pages; the rows in the page stay a window however far it goes.
        int loaded = 0;
        for (int i = 0; i < 40 && loaded < 2_000; i++) {
            js("arguments[0].scrollTop = arguments[0].scrollHeight", viewport);
            int before = loaded;
            until(d -> stepsShown() > before);
            loaded = stepsShown();
            assertThat(rows()).isBetween(1, MAX_ROWS);
        }
        assertThat(loaded).isGreaterThanOrEqualTo(2_000);
        int total = stepsShown();
        js("arguments[0].scrollTop = arguments[0].scrollHeight", viewport);
        until(d -> lastRowShown() >= total - 1);
        int lastShown = lastRowShown();
        assertThat(lastShown).as("the rows at the end of what was scrolled through").isGreaterThan(1_900);
        assertThat(browser.findElement(By.cssSelector(".gantt-row[data-index='" + lastShown + "']")).getAttribute("data-node"))
                .matches("each\\[\\d+\\]");
        int stepCount = user.get("/v1/metronomes/" + bigMetronome + "/runs/" + bigRun + "/timeline?limit=1").data()
                .get("summary").get("stepCount").asInt();
        assertThat(stepCount).isGreaterThan(10_000);
        assertThat(browser.findElement(By.id("summary")).getText()).contains("Steps\n" + stepCount + " (");
    }

    @Test
    @Order(6)
    void signingOutForgetsTheKey() {
        browser.get(base + "/console#/");
        until(ExpectedConditions.elementToBeClickable(By.id("sign-out"))).click();
        until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(js("return sessionStorage.getItem('metronome.apiKey')")).isNull();
        browser.navigate().refresh();
        until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
    }

    private int lastRowShown() {
        return ((Number) js("return Math.max(...[...document.querySelectorAll('.gantt-row')].map(r => +r.dataset.index))")).intValue();
    }

    private int rows() {
        return browser.findElements(By.cssSelector(".gantt-row")).size();
    }

    private int stepsShown() {
        return ((Number) js("return document.querySelector('.gantt-viewport').getAttribute('aria-rowcount') * 1")).intValue();
    }

    private static boolean pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    private WebElement node(String id) {
        return browser.findElement(By.cssSelector("#run-graph g.node[data-node='" + id + "']"));
    }

    private String runStatus() {
        return browser.findElement(By.cssSelector("#run-status .badge")).getAttribute("data-status");
    }

    /** Waits for the condition; a timeout says what the page showed then. */
    private <T> T until(java.util.function.Function<? super WebDriver, T> condition) {
        try {
            return new WebDriverWait(browser, WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                    .ignoring(org.openqa.selenium.NoSuchElementException.class).until(condition);
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError(e.getMessage() + "\npage " + browser.getCurrentUrl() + ":\n"
                    + browser.findElement(By.tagName("body")).getText(), e);
        }
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** An executable from the environment variable, else the first of the names on the PATH. */
    private static Optional<Path> executable(String variable, String... names) {
        String given = System.getenv(variable);
        if (given != null && Files.isExecutable(Path.of(given))) {
            return Optional.of(Path.of(given));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : names) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
