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
 * see why a webhook delivery was ignored; set breakpoints and a budget, redrive, rerun, and bulk-cancel from it. The
 * run operations' tests come after the map of ten thousand items has completed ({@code @Order(6)}), so that their
 * small runs do not queue behind its children. Skipped, saying how to install them, where Chromium or its driver is
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
        assertThat(text("run-status")).contains("paused");
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
        assertThat(text("audit")).contains("run.pause_requested by ann", "warehouse stock check",
                "checkpoint cool-off", "VIP customer", "run.completed");
        assertThat(browser.findElement(By.id("cancel")).isEnabled()).isFalse();

        // A step's output, opened from the timeline with the keyboard.
        clickFresh(By.cssSelector(".gantt-row[data-node=total]"));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("step-detail"), "output"));
        assertThat(text("step-detail")).contains("55");
        // and with the keyboard: the timeline takes the focus, End goes to the last step, Enter opens it
        until(d -> {
            d.findElement(By.cssSelector(".gantt-viewport")).sendKeys(org.openqa.selenium.Keys.END);
            return true;
        });
        browser.switchTo().activeElement().sendKeys(org.openqa.selenium.Keys.ENTER);
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-h"), "ship"));
        assertThat(text("step-detail")).contains("shipped");
        clickFresh(By.cssSelector(".gantt-row[data-node=total]")); // rows are drawn anew: find it again
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-h"), "total"));
        screenshot("run.png");
        // A view older than the run (another tab acted first) offers what the server then refuses: its 409 is shown
        // as the server says it.
        js("document.getElementById('resume').disabled = false");
        browser.findElement(By.id("resume")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("action-message"), "cannot be resumed"));
        assertThat(text("action-message")).startsWith("Refused: run " + runId);

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

    /** The rules of what a run's state offers, as the page loaded them (rules.js is pure: no stack needed). */
    @Test
    @Order(2)
    void theRulesSayWhatARunsStateOffersAndReadLocalTimesAsUtc() {
        Object checked = ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const url = performance.getEntriesByType('resource').map((e) => e.name).find((n) => /\\/rules\\.[0-9a-f]{10}\\.js$/.test(n));
                import(url).then((r) => {
                  const budgetPaused = {status: 'paused', pauseCause: {reason: 'budget', nodeId: 'ask', costCt: 3, budgetCt: 3}};
                  done(JSON.stringify([
                    r.localToIso('2031-03-04T05:06') === new Date(2031, 2, 4, 5, 6).toISOString(),
                    r.localToIso('2031-03-04T05:06:07') === new Date(2031, 2, 4, 5, 6, 7).toISOString(), r.localToIso(''), r.localToIso('soon') === undefined,
                    r.allowed(budgetPaused).resume, r.allowed(budgetPaused).autoResume, r.allowed({status: 'paused'}).autoResume,
                    r.allowed(budgetPaused).budget, r.budgetVerb(budgetPaused),
                    r.pauseCauseText(budgetPaused), r.pauseCauseText({status: 'paused', pauseCause: {reason: 'breakpoint', nodeId: 'b'}}),
                    r.allowed({status: 'cancelled', activeNodeCount: 1}).redrive, r.allowed({status: 'failed', activeNodeCount: 0}).redrive,
                    r.allowed({status: 'completed'}).rerun, r.allowed({status: 'running', schedule: null}).cancelSchedule,
                    r.bulkBody({runIds: [], metronomeId: 'met_1', status: 'paused', reason: 'why'}),
                    r.bulkBody({runIds: ['run_1'], metronomeId: 'met_1', status: '', dryRun: false}),
                    r.dryRunText('pause', {count: 10000, countCapped: true, firstRunIds: ['run_1']}),
                    r.parseBudget('12.5').value, r.parseBudget('-1').error !== undefined]));
                }, (e) => done('failed: ' + e));
                """);
        assertThat(checked).isEqualTo("[true,true,null,true,false,false,true,true,\"Resume with this budget\","
                + "\"paused at its budget before ask: cost 3 ct of 3 ct\",\"paused at its breakpoint before b\",false,true,true,false,"
                + "{\"filter\":{\"metronomeId\":\"met_1\",\"status\":\"paused\"},\"reason\":\"why\",\"dryRun\":true},"
                + "{\"runIds\":[\"run_1\"]},\"at least 10000 runs would be paused (some may be left unchanged): run_1, …\",12.5,true]");
    }

    /**
     * A run started from the console's form with a breakpoint, a budget and a timeout policy; while it waits for its
     * approval a breakpoint is added on a later node and its budget raised; approved, it parks before that node,
     * saying why, and before the next one once resumed; resumed again, it completes.
     */
    @Test
    @Order(6)
    void breakpointsSetFromTheConsoleParkTheRunBeforeTheirNodes() {
        String m = create("""
                {"name": "Breakpoints", "definition": {"nodes": [
                  {"id": "ask", "type": "approval", "config": {"prompt": "Go on?"}},
                  {"id": "after", "type": "transform", "config": {"expression": "input.n + 1"}},
                  {"id": "done", "type": "succeed", "config": {"output": "nodes.after"}}],
                 "edges": [{"from": "ask", "to": "after"}, {"from": "after", "to": "done"}]}}""");
        browser.get(base + "/console#/m/" + m + "/runs");
        WebElement input = until(ExpectedConditions.visibilityOfElementLocated(By.id("run-input")));
        input.clear();
        input.sendKeys("{\"n\": 41}");
        browser.findElement(By.cssSelector("#start-options > summary")).click();
        browser.findElement(By.id("start-bp-done")).click();
        browser.findElement(By.id("start-budget")).sendKeys("50");
        new Select(browser.findElement(By.id("start-timeout-policy"))).selectByValue("excludePaused");
        browser.findElement(By.id("start-run")).click();
        until(ExpectedConditions.urlMatches("/runs/run_"));
        String runId = browser.getCurrentUrl().replaceAll(".*/runs/", "");
        var run = user.get("/v1/metronomes/" + m + "/runs/" + runId).data();
        assertThat(run.get("pauseBefore").toString()).isEqualTo("[\"done\"]");
        assertThat(run.get("budgetCt").asDouble()).isEqualTo(50.0);
        assertThat(run.get("timeoutPolicy").asText()).isEqualTo("excludePaused");

        until(d -> "waiting_approval".equals(runStatus()));
        assertThat(text("breakpoints-now")).isEqualTo("Breakpoints: done");
        assertThat(text("budget-now")).isEqualTo("Cost: 0 ct of 50 ct");
        assertThat(browser.findElement(By.id("bp-done")).isSelected()).isTrue();
        browser.findElement(By.id("bp-after")).click();
        browser.findElement(By.id("save-breakpoints")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("breakpoints-message"), "Breakpoints saved"));
        assertThat(text("breakpoints-now")).contains("after", "done");
        assertThat(text("set-budget")).isEqualTo("Set budget");
        browser.findElement(By.id("budget-input")).sendKeys("75");
        browser.findElement(By.id("set-budget")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("budget-now"), "of 75 ct"));
        assertThat(runStatus()).as("a budget set alone leaves the run as it was").isEqualTo("waiting_approval");

        browser.findElement(By.id("approve")).click();
        until(d -> "paused".equals(runStatus()));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("pause-cause"), "paused at its breakpoint before after"));
        assertThat(text("set-budget")).isEqualTo("Resume with this budget");
        browser.findElement(By.id("resume")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("pause-cause"), "paused at its breakpoint before done"));
        browser.findElement(By.id("resume")).click();
        until(d -> "completed".equals(runStatus()));
        assertThat(browser.findElement(By.id("save-breakpoints")).isEnabled()).as("an ended run's breakpoints are past").isFalse();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "run.completed"));
        assertThat(text("audit")).contains("run.breakpoints_set by ann", "run.budget_set by ann");
        assertThat(user.get("/v1/metronomes/" + m + "/runs/" + runId).data().get("output").asInt()).isEqualTo(42);
    }

    /**
     * A run with a budget of 0 ct pauses before its llm node (its cost, 0, has reached it). Plain resume is not
     * offered; resuming with the same budget is refused with the server's words; a higher one resumes it, and the
     * node starts (and fails: llm nodes are not configured in the local stack, which calls no model).
     */
    @Test
    @Order(6)
    void aRunPausedAtItsBudgetResumesWithAHigherOne() {
        String m = create("""
                {"name": "Budgeted", "definition": {"nodes": [
                  {"id": "ask", "type": "llm", "config": {"model": "m", "prompt": "'a question'"}}], "edges": []}}""");
        String runId = user.post("/v1/metronomes/" + m + "/runs", "{\"budgetCt\": 0}").data().get("id").asText();
        browser.get(base + "/console#/m/" + m + "/runs/" + runId);
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("pause-cause"), "paused at its budget before ask: cost 0 ct of 0 ct"));
        assertThat(browser.findElement(By.id("resume")).isEnabled()).isFalse();
        assertThat(browser.findElement(By.id("auto-resume")).isEnabled()).isFalse();
        WebElement budget = browser.findElement(By.id("budget-input"));
        budget.sendKeys("0");
        browser.findElement(By.id("set-budget")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("budget-message"), "Refused: "));
        assertThat(runStatus()).isEqualTo("paused");
        budget.clear();
        budget.sendKeys("5");
        browser.findElement(By.id("set-budget")).click();
        until(d -> "failed".equals(runStatus()));
        assertThat(text("run-status")).contains("llm nodes are not configured here");
        assertThat(text("budget-now")).isEqualTo("Cost: 0 ct of 5 ct");
        assertThat(user.get("/v1/metronomes/" + m + "/runs/" + runId).data().get("budgetCt").asDouble()).isEqualTo(5.0);
    }

    /** A run whose http node fails once (the service answers 500, then 200) is redriven from the console and completes. */
    @Test
    @Order(6)
    void aFailedRunIsRedrivenFromTheConsoleAndCompletes() throws IOException {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer service = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        service.createContext("/", exchange -> {
            byte[] body = "{\"ok\": true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(calls.incrementAndGet() == 1 ? 500 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        service.start();
        try {
            String m = create("""
                    {"name": "Flaky upstream", "maxAttempts": 1, "definition": {"nodes": [
                      {"id": "call", "type": "http", "config": {"method": "GET", "url": "http://127.0.0.1:%d/stock"}},
                      {"id": "done", "type": "succeed", "config": {"output": "nodes.call.body"}}],
                     "edges": [{"from": "call", "to": "done"}]}}""".formatted(service.getAddress().getPort()));
            String runId = user.post("/v1/metronomes/" + m + "/runs", "{}").data().get("id").asText();
            browser.get(base + "/console#/m/" + m + "/runs/" + runId);
            until(d -> "failed".equals(runStatus()));
            until(d -> browser.findElement(By.id("redrive")).isEnabled());
            assertThat(text("redrive-count")).startsWith("Redriven 0 times");
            browser.findElement(By.id("action-reason")).sendKeys("the upstream is back");
            browser.findElement(By.id("redrive")).click();
            until(d -> "completed".equals(runStatus()));
            until(ExpectedConditions.textToBePresentInElementLocated(By.id("redrive-count"), "Redriven 1 time."));
            until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "the upstream is back"));
            assertThat(text("audit")).contains("run.redriven by ann", "run.completed");
            assertThat(browser.findElement(By.id("redrive")).isEnabled()).isFalse();
            assertThat(calls.get()).as("the failed call, then the redriven one").isEqualTo(2);
        } finally {
            service.stop(0);
        }
    }

    /** A rerun with replaced input, checked to be JSON first, opens the new run, which links back to the first. */
    @Test
    @Order(6)
    void aRerunWithNewInputOpensTheNewRunLinkedToTheFirst() {
        String m = create("""
                {"name": "Doubler", "definition": {"nodes": [
                  {"id": "double", "type": "transform", "config": {"expression": "input.n * 2"}},
                  {"id": "done", "type": "succeed", "config": {"output": "nodes.double"}}],
                 "edges": [{"from": "double", "to": "done"}]}}""");
        String first = user.post("/v1/metronomes/" + m + "/runs", "{\"input\": {\"n\": 2}}").data().get("id").asText();
        browser.get(base + "/console#/m/" + m + "/runs/" + first);
        until(d -> "completed".equals(runStatus()));
        assertThat(browser.findElements(By.id("rerun-of"))).isEmpty();
        WebElement input = browser.findElement(By.id("rerun-input"));
        input.sendKeys("{\"n\": ");
        browser.findElement(By.id("rerun")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("rerun-message"), "not valid JSON"));
        assertThat(user.get("/v1/metronomes/" + m + "/runs").data()).as("nothing was sent").hasSize(1);
        input.sendKeys("5}");
        browser.findElement(By.id("rerun")).click();
        until(d -> !d.getCurrentUrl().endsWith(first) && d.getCurrentUrl().matches(".*/runs/run_\\w+$"));
        String second = browser.getCurrentUrl().replaceAll(".*/runs/", "");
        WebElement link = until(ExpectedConditions.presenceOfElementLocated(By.id("rerun-of")));
        assertThat(link.getText()).isEqualTo(first);
        until(d -> "completed".equals(runStatus()));
        assertThat(user.get("/v1/metronomes/" + m + "/runs/" + second).data().get("output").asInt()).isEqualTo(10);
        link.click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), first));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "run.rerun"));
    }

    /**
     * Bulk cancel from the runs page: a dry run of the runs ticked counts them; with none ticked it counts the
     * filter's; confirmed, the job starts and its view shows each run's result.
     */
    @Test
    @Order(6)
    void aBulkCancelIsCountedByADryRunThenConfirmedAndShowsEachRunsResult() {
        String m = create("""
                {"name": "Approvals", "definition": {"nodes": [
                  {"id": "ask", "type": "approval", "config": {"prompt": "Ship it?"}}], "edges": []}}""");
        List<String> runs = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(user.post("/v1/metronomes/" + m + "/runs", "{}").data().get("id").asText());
        }
        browser.get(base + "/console#/m/" + m + "/runs");
        until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runs tr[data-run='" + runs.get(0) + "']")));
        new Select(browser.findElement(By.id("bulk-action"))).selectByValue("cancel");
        browser.findElement(By.cssSelector("input.select-run[data-run='" + runs.get(0) + "']")).click();
        browser.findElement(By.cssSelector("input.select-run[data-run='" + runs.get(2) + "']")).click();
        assertThat(text("bulk-target")).startsWith("Acts on the 2 runs ticked");
        browser.findElement(By.id("bulk-dry-run-button")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("bulk-dry-run"), "2 runs would be cancelled"));
        assertThat(text("bulk-dry-run")).contains(runs.get(0), runs.get(2)).doesNotContain(runs.get(1));
        // Changing what is named forgets the dry run: nothing can be confirmed that was not counted.
        browser.findElement(By.cssSelector("input.select-run[data-run='" + runs.get(0) + "']")).click();
        browser.findElement(By.cssSelector("input.select-run[data-run='" + runs.get(2) + "']")).click();
        assertThat(browser.findElement(By.id("bulk-confirm")).isDisplayed()).isFalse();
        assertThat(text("bulk-target")).startsWith("Acts on every run of this metronome");
        WebElement reason = browser.findElement(By.id("bulk-reason"));
        reason.sendKeys("holiday");
        browser.findElement(By.id("bulk-dry-run-button")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("bulk-dry-run"), "3 runs would be cancelled"));
        // So does changing the reason: the confirmation would send the one the dry run was given.
        reason.sendKeys(" freeze");
        assertThat(browser.findElement(By.id("bulk-confirm")).isDisplayed()).isFalse();
        browser.findElement(By.id("bulk-dry-run-button")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("bulk-dry-run"), "3 runs would be cancelled"));
        assertThat(text("bulk-dry-run")).contains(runs.get(0), runs.get(1), runs.get(2));
        assertThat(runs).allMatch(r -> !user.get("/v1/metronomes/" + m + "/runs/" + r).data().get("status").asText().equals("cancelled"));
        WebElement confirm = browser.findElement(By.id("bulk-confirm"));
        assertThat(confirm.getText()).isEqualTo("Start: cancel 3 runs");
        confirm.click();

        until(ExpectedConditions.urlMatches("#/bulk/blk_"));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("bulk-status"), "completed"));
        assertThat(text("bulk-status")).contains("cancel", "3 processed: 3 changed, 0 unchanged, 0 conflict, 0 not found", "holiday freeze");
        List<WebElement> rows = browser.findElements(By.cssSelector("#bulk-results tr[data-outcome]"));
        assertThat(rows).hasSize(3).allMatch(r -> "changed".equals(r.getAttribute("data-outcome")));
        assertThat(rows).extracting(r -> r.getAttribute("data-run")).containsExactlyInAnyOrderElementsOf(runs);
        assertThat(rows.get(0).getText()).contains("cancelled");
        rows.get(0).findElement(By.tagName("a")).click();
        until(d -> "cancelled".equals(runStatus()));
    }

    /**
     * A pause scheduled from the console in local time reaches the API as that instant in UTC, shows on the run and
     * is cancelled from it; a pause with a time to resume at shows the automatic resume. The browser runs in St John's
     * (UTC-3:30, or -2:30 in summer) for it, so that a local time read as UTC, or off by whole hours, is caught.
     */
    @Test
    @Order(6)
    void aPauseScheduledInLocalTimeIsShownAndCancelled() {
        inTimeZone("America/St_Johns", this::schedulePauseInLocalTime);
    }

    private void schedulePauseInLocalTime() {
        String m = create("""
                {"name": "Quiet hours", "definition": {"nodes": [
                  {"id": "ask", "type": "approval", "config": {"prompt": "Go on?"}}], "edges": []}}""");
        String runId = user.post("/v1/metronomes/" + m + "/runs", "{}").data().get("id").asText();
        browser.get(base + "/console#/m/" + m + "/runs/" + runId);
        until(d -> "waiting_approval".equals(runStatus()));
        assertThat(((Number) js("return new Date().getTimezoneOffset()")).intValue() % 60).as("the zone's offset is off the hour")
                .isNotZero();
        assertThat(text("schedule-now")).isEqualTo("Nothing scheduled.");
        assertThat(browser.findElement(By.id("cancel-schedule")).isEnabled()).isFalse();
        Instant pauseAt = Instant.now().plus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        Instant resumeAt = pauseAt.plus(Duration.ofHours(8));
        typeLocalTime("pause-at", pauseAt);
        typeLocalTime("scheduled-resume-at", resumeAt);
        browser.findElement(By.id("schedule-reason")).sendKeys("quiet hours");
        browser.findElement(By.id("schedule-pause")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("schedule-message"), "Pause scheduled"));
        var schedule = user.get("/v1/metronomes/" + m + "/runs/" + runId).data().get("schedule");
        assertThat(Instant.parse(schedule.get("pauseAt").asText())).isEqualTo(pauseAt);
        assertThat(Instant.parse(schedule.get("resumeAt").asText())).isEqualTo(resumeAt);
        assertThat(schedule.get("reason").asText()).isEqualTo("quiet hours");
        assertThat(text("schedule-now")).startsWith("Scheduled: this run pauses at").contains("resumes by itself at", "quiet hours");
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "run.pause_scheduled"));
        browser.findElement(By.id("cancel-schedule")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("schedule-now"), "Nothing scheduled."));
        assertThat(user.get("/v1/metronomes/" + m + "/runs/" + runId).data().get("schedule").isNull()).isTrue();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "run.schedule_cancelled"));

        // Paused now, with a time to resume at: the run shows when it resumes by itself.
        typeLocalTime("resume-at", resumeAt);
        browser.findElement(By.id("pause")).click();
        until(d -> "paused".equals(runStatus()));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("schedule-now"), "resumes by itself at"));
        assertThat(Instant.parse(user.get("/v1/metronomes/" + m + "/runs/" + runId).data().get("schedule")
                .get("resumeAt").asText())).isEqualTo(resumeAt);
        browser.findElement(By.id("resume")).click();
        until(d -> "waiting_approval".equals(runStatus()));
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("schedule-now"), "Nothing scheduled."));
    }

    /** Runs the steps with the browser's clock in the zone, then back in the machine's, which the other tests read. */
    private void inTimeZone(String zone, Runnable steps) {
        ChromeDriver chrome = (ChromeDriver) browser;
        chrome.executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", zone));
        try {
            steps.run();
        } finally {
            chrome.executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", ""));
        }
    }

    /** Types the instant into a datetime-local input as the browser's local time, the way a user would see it. */
    private void typeLocalTime(String inputId, Instant at) {
        js("const d = new Date(arguments[1]), p = (n) => String(n).padStart(2, '0');"
                + "arguments[0].value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;"
                + "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", browser.findElement(By.id(inputId)), at.toString());
    }

    private String create(String metronome) {
        Reply created = user.post("/v1/metronomes", metronome);
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        return created.data().get("id").asText();
    }

    private String text(String id) {
        return until(d -> d.findElement(By.id(id)).getText()); // the page may draw it anew as events come
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
        String each = until(d -> node("each").getText());
        assertThat(each).contains("completed");

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
        assertThat(attribute(By.cssSelector(".gantt-row[data-index='" + lastShown + "']"), "data-node"))
                .matches("each\\[\\d+\\]");
        int stepCount = user.get("/v1/metronomes/" + bigMetronome + "/runs/" + bigRun + "/timeline?limit=1").data()
                .get("summary").get("stepCount").asInt();
        assertThat(stepCount).isGreaterThan(10_000);
        assertThat(text("summary")).contains("Steps\n" + stepCount + " (");
    }

    @Test
    @Order(7)
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

    /** Clicks what the locator finds, finding it again if the page drew it anew in between (the timeline does). */
    private void clickFresh(By locator) {
        until(d -> {
            d.findElement(locator).click();
            return true;
        });
    }

    /** An attribute of what the locator finds, read again if the page drew it anew in between. */
    private String attribute(By locator, String name) {
        return until(d -> d.findElement(locator).getAttribute(name));
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
