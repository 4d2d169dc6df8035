package io.metronome.engine;

import io.metronome.domain.AuditEvent;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.domain.RunStatus;
import io.metronome.domain.ApiException;
import io.metronome.store.BulkJobRepository;
import io.metronome.testing.CallCounter;
import io.metronome.testing.Harness;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bulk jobs on the emulators: each run acted on once, however often its page's message comes, and after a crash. */
class BulkJobsTest {
    private static final String DEFINITION = """
            {"nodes": [{"id": "a", "type": "transform", "config": {"expression": "1"}}], "edges": []}""";
    private final Harness h = new Harness();
    private final String user = "bulk-" + UUID.randomUUID();
    private final String queueUrl = h.stack.plainSqs.createQueue(r -> r.queueName("bulk-" + UUID.randomUUID())
            .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1"))).queueUrl();
    private final BulkJobs bulk = new BulkJobs(h.engine.runService, h.engine.runs, h.engine.metronomes, h.engine.audit,
            new BulkJobRepository(h.stack.dynamo, h.stack.tables), h.stack.sqs, queueUrl, Clock.systemUTC());
    private final BulkJobRepository jobs = new BulkJobRepository(h.stack.plainDynamo, h.stack.tables);
    private int crashes;

    @Test
    void bulkCancelOf500RunsByFilterCancelsEachOnceWhenEveryMessageComesTwice() {
        // Given 500 queued runs of project p1 over two metronomes, 20 of them cancelled already, and 30 of p2
        Metronome one = h.metronome(user, DEFINITION);
        Metronome two = h.metronome(user, DEFINITION);
        List<Run> matching = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            matching.add(start(i % 2 == 0 ? one : two, "p1"));
        }
        List<Run> others = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            others.add(start(i % 2 == 0 ? one : two, "p2"));
        }
        for (Run r : matching.subList(0, 20)) {
            h.engine.runService.cancel(user, r.metronomeId(), r.id(), Json.read("{\"reason\": \"earlier\"}"));
        }

        // When a bulk cancel by filter runs with every message handled twice
        BulkJobRepository.Job job = start("cancel", "{\"filter\": {\"attachedProjectId\": \"p1\"}, \"reason\": \"cleanup\"}");
        BulkJobRepository.Job done = drain(job.id(), true);

        // Then each run of p1 ends cancelled, audited cancelled once; the 480 by this job, with its id
        assertThat(done.status()).isEqualTo("completed");
        assertThat(done.counts()).containsEntry("changed", 480L).containsEntry("unchanged", 20L)
                .containsEntry("conflict", 0L).containsEntry("not_found", 0L);
        for (Run r : matching) {
            assertThat(h.run(r).status()).isEqualTo(RunStatus.CANCELLED);
            List<AuditEvent> cancelled = audit(r, "run.cancelled");
            assertThat(cancelled).as(r.id()).hasSize(1);
        }
        long byJob = matching.stream().flatMap(r -> audit(r, "run.cancelled").stream())
                .filter(e -> job.id().equals(e.payload().path("bulkJobId").asText(null))).count();
        assertThat(byJob).isEqualTo(480);
        // and the runs of p2 are untouched
        others.forEach(r -> assertThat(h.run(r).status()).isEqualTo(RunStatus.QUEUED));
        // and the per-run results add up, one per run
        Map<String, String> results = allResults(job.id());
        assertThat(results).hasSize(500);
        assertThat(results.values().stream().filter("changed"::equals).count()).isEqualTo(480);
        matching.subList(0, 20).forEach(r -> assertThat(results).containsEntry(r.id(), "unchanged"));
    }

    @Test
    void aCrashBetweenTheLastResultOfAPageAndThePageAdvanceActsOnNoRunTwice() {
        List<Run> runs = runs(60);
        // The 50th transaction: the 25th run's result (each run: its cancel, then its result), before the advance
        BulkJobRepository.Job job = start("cancel", "{\"filter\": {}}");
        crashAfterThe(50, "DynamoDb.TransactWriteItems"::equals);
        BulkJobRepository.Job done = drain(job.id(), false);

        assertThat(crashes).isEqualTo(1);
        assertThat(done.counts()).containsEntry("changed", 60L).containsEntry("unchanged", 0L);
        runs.forEach(r -> assertThat(audit(r, "run.cancelled")).as(r.id()).hasSize(1));
        assertThat(allResults(job.id())).hasSize(60);
    }

    @Test
    void aCrashBetweenARunsWriteAndItsResultStillReportsTheRunChangedByTheJob() {
        List<Run> runs = runs(30);
        // The 53rd transaction: page two's second cancel, before its result is recorded
        BulkJobRepository.Job job = start("cancel", "{\"filter\": {}}");
        crashAfterThe(53, "DynamoDb.TransactWriteItems"::equals);
        BulkJobRepository.Job done = drain(job.id(), false);

        assertThat(crashes).isEqualTo(1);
        assertThat(done.counts()).containsEntry("changed", 30L).containsEntry("unchanged", 0L);
        runs.forEach(r -> assertThat(audit(r, "run.cancelled")).as(r.id()).hasSize(1));
        assertThat(allResults(job.id()).values()).containsOnly("changed");
    }

    @Test
    void aRestartWhoseQueueLostTheJobsMessageSendsItAgainAndFinishesTheJob() {
        List<Run> runs = runs(60);
        BulkJobRepository.Job job = start("cancel", "{\"filter\": {}}");
        // Given page 0 handled, and then the queue lost (as the local stack's is, to a kill -9)
        Message first = h.stack.plainSqs.receiveMessage(r -> r.queueUrl(queueUrl).waitTimeSeconds(1)).messages().get(0);
        bulk.handle(first.body());
        h.stack.plainSqs.purgeQueue(r -> r.queueUrl(queueUrl));
        assertThat(jobs.find(job.id()).orElseThrow().page()).isEqualTo(1);

        // When the restart sends each unfinished job its page again
        assertThat(bulk.resendRunning()).isGreaterThanOrEqualTo(1);
        BulkJobRepository.Job done = drain(job.id(), false);

        // Then the job finishes, each run cancelled once, and it is no longer among the unfinished
        assertThat(done.counts()).containsEntry("changed", 60L);
        runs.forEach(r -> assertThat(audit(r, "run.cancelled")).as(r.id()).hasSize(1));
        assertThat(jobs.running()).doesNotContain(job.id());
    }

    @Test
    void aSweepSendsAgainTheMessageOfAJobThatStalledOnceAndLeavesAJobAtWorkAlone() {
        // On tables of its own, so that the sweep meets only this test's runs and jobs
        io.metronome.testing.MovableClock clock = new io.metronome.testing.MovableClock(java.time.Instant.now());
        Harness own = Harness.withOwnTables(Duration.ofSeconds(2), clock);
        String ownQueue = own.stack.plainSqs.createQueue(r -> r.queueName("bulk-" + UUID.randomUUID())
                .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1"))).queueUrl();
        BulkJobs ownBulk = new BulkJobs(own.engine.runService, own.engine.runs, own.engine.metronomes, own.engine.audit,
                new BulkJobRepository(own.stack.dynamo, own.engine.tables), own.stack.sqs, ownQueue, clock);
        BulkJobRepository stored = new BulkJobRepository(own.stack.plainDynamo, own.engine.tables);
        Sweeper sweeper = new Sweeper(own.engine.runs, own.engine.dispatcher, SweepSettings.DEFAULTS, clock, ownBulk);
        Metronome m = own.metronome(user, DEFINITION);
        List<Run> stalledRuns = new ArrayList<>();
        List<Run> busyRuns = new ArrayList<>();
        for (int i = 0; i < 3 + BulkJobs.PAGE + 5; i++) {
            (i < 3 ? stalledRuns : busyRuns).add(own.engine.runService.start(user, m.id(), Json.object()).run());
        }

        // Given a job whose first message was lost
        BulkJobRepository.Job stalled = (BulkJobRepository.Job) ownBulk.submit(user, "cancel", runIds(stalledRuns));
        List<Message> lost = own.stack.plainSqs.receiveMessage(r -> r.queueUrl(ownQueue).waitTimeSeconds(1)).messages();
        assertThat(lost).singleElement().satisfies(msg -> assertThat(msg.body()).contains(stalled.id()));
        own.stack.plainSqs.deleteMessage(r -> r.queueUrl(ownQueue).receiptHandle(lost.get(0).receiptHandle()));
        // and, a staleness bound later, a job at work: its first page done, its second page's message on the queue
        clock.advance(SweepSettings.DEFAULTS.staleAfter());
        BulkJobRepository.Job busy = (BulkJobRepository.Job) ownBulk.submit(user, "cancel", runIds(busyRuns));
        Message first = own.stack.plainSqs.receiveMessage(r -> r.queueUrl(ownQueue).waitTimeSeconds(1)).messages().get(0);
        ownBulk.handle(first.body());
        own.stack.plainSqs.deleteMessage(r -> r.queueUrl(ownQueue).receiptHandle(first.receiptHandle()));
        assertThat(stored.find(busy.id()).orElseThrow().page()).isEqualTo(1);

        // When the sweeper runs, twice in a row
        Sweeper.Summary sweep = sweeper.sweep(() -> true);
        Sweeper.Summary next = sweeper.sweep(() -> true);

        // Then the stalled job alone is sent its page again, once: the resend counts as a move
        assertThat(sweep.bulkJobsResent()).isEqualTo(1);
        assertThat(next.bulkJobsResent()).isZero();
        assertThat(stored.find(stalled.id()).orElseThrow().resends()).as("counted: the next waits twice as long").isEqualTo(1);
        Map<String, Integer> messagesByJob = new HashMap<>();
        for (int i = 0; i < 100 && !(stored.find(stalled.id()).orElseThrow().completed()
                && stored.find(busy.id()).orElseThrow().completed()); i++) {
            for (Message msg : own.stack.plainSqs.receiveMessage(r -> r.queueUrl(ownQueue).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages()) {
                messagesByJob.merge(Json.read(msg.body()).get("jobId").asText(), 1, Integer::sum);
                ownBulk.handle(msg.body());
                own.stack.plainSqs.deleteMessage(r -> r.queueUrl(ownQueue).receiptHandle(msg.receiptHandle()));
            }
        }
        assertThat(messagesByJob).as("the resend, and the job at work's own next page").isEqualTo(
                Map.of(stalled.id(), 1, busy.id(), 1));
        // and both finish, each run cancelled once
        assertThat(stored.find(stalled.id()).orElseThrow().counts()).containsEntry("changed", 3L);
        assertThat(stored.find(busy.id()).orElseThrow().counts()).containsEntry("changed", (long) busyRuns.size());
        for (Run r : stalledRuns) {
            assertThat(own.engine.audit.page(r.id(), null, 100).events()).filteredOn(e -> e.action().equals("run.cancelled"))
                    .as(r.id()).hasSize(1);
        }
        assertThat(stored.running()).isEmpty();
        assertThat(stored.find(stalled.id()).orElseThrow().resends()).as("moved on: the count starts again").isZero();
        assertThat(sweeper.sweep(() -> true).bulkJobsResent()).as("a completed job is never sent again").isZero();
    }

    private static com.fasterxml.jackson.databind.JsonNode runIds(List<Run> runs) {
        var body = Json.object();
        runs.forEach(r -> body.withArray("runIds").add(r.id()));
        return body;
    }

    @Test
    void pauseAndResumeByRunIdsSayWhatChangedWhatDidNotAndWhy() {
        List<Run> runs = runs(3);
        Run ended = runs.get(2);
        h.engine.runService.cancel(user, ended.metronomeId(), ended.id(), Json.object());
        String ids = "[\"%s\", \"%s\", \"%s\", \"run_01jzzzzzzzzzzzzzzzzzzzzzzz\"]".formatted(runs.get(0).id(),
                runs.get(1).id(), ended.id());

        BulkJobRepository.Job paused = drain(start("pause", "{\"runIds\": " + ids + ", \"reason\": \"quiet hours\"}").id(), false);
        assertThat(paused.counts()).containsEntry("changed", 2L).containsEntry("unchanged", 1L).containsEntry("not_found", 1L);
        assertThat(h.run(runs.get(0)).status()).isEqualTo(RunStatus.PAUSED);
        assertThat(audit(runs.get(0), "run.pause_requested").get(0).payload().path("bulkJobId").asText())
                .isEqualTo(paused.id());

        BulkJobRepository.Job resumed = drain(start("resume", "{\"runIds\": " + ids + "}").id(), false);
        assertThat(resumed.counts()).containsEntry("changed", 2L).containsEntry("conflict", 1L).containsEntry("not_found", 1L);
        BulkJobs.JobView view = bulk.get(user, resumed.id(), 10, null);
        BulkJobRepository.Result conflict = view.results().stream().filter(r -> r.runId().equals(ended.id())).findFirst().orElseThrow();
        assertThat(conflict.outcome()).isEqualTo("conflict");
        assertThat(conflict.message()).contains("cancelled and cannot be resumed");
        assertThat(h.run(runs.get(0)).status()).isEqualTo(RunStatus.QUEUED);
    }

    @Test
    void aDryRunCountsAndListsTheFirstRunsAndChangesNothing() {
        List<Run> runs = runs(30);
        Object answer = bulk.submit(user, "cancel", Json.read("{\"filter\": {\"status\": \"queued\"}, \"dryRun\": true}"));
        BulkJobs.DryRun dry = (BulkJobs.DryRun) answer;
        assertThat(dry.count()).isEqualTo(30);
        assertThat(dry.capped()).isFalse();
        assertThat(dry.firstRunIds()).hasSize(BulkJobs.DRY_RUN_IDS)
                .allMatch(id -> runs.stream().anyMatch(r -> r.id().equals(id)));
        runs.forEach(r -> assertThat(h.run(r).status()).isEqualTo(RunStatus.QUEUED));
    }

    @Test
    void anotherUsersJobAndBadRequestsAreRefused() {
        BulkJobRepository.Job job = start("cancel", "{\"runIds\": [\"run_01jzzzzzzzzzzzzzzzzzzzzzzz\"]}");
        assertThatThrownBy(() -> bulk.get("someone-else", job.id(), null, null))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThatThrownBy(() -> bulk.submit(user, "cancel", Json.read("{\"filter\": {}, \"runIds\": []}")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> bulk.submit(user, "cancel", Json.read("{\"filter\": {\"status\": \"sleeping\", \"createdAfter\": \"yesterday\"}}")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.details()).extracting(ApiException.ErrorDetail::path)
                        .containsExactlyInAnyOrder("filter.status", "filter.createdAfter"));
        assertThatThrownBy(() -> bulk.submit(user, "restart", Json.read("{\"filter\": {}}")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    // ---------------------------------------------------------------- helpers

    private List<Run> runs(int n) {
        Metronome m = h.metronome(user, DEFINITION);
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            runs.add(start(m, null));
        }
        return runs;
    }

    private Run start(Metronome m, String project) {
        return h.engine.runService.start(user, m.id(), Json.read(project == null ? "{}"
                : "{\"attachedProjectId\": \"" + project + "\"}")).run();
    }

    private BulkJobRepository.Job start(String action, String body) {
        return (BulkJobRepository.Job) bulk.submit(user, action, Json.read(body));
    }

    /** Crashes the handler right after the {@code n}-th call (from now) that the predicate picks. */
    private void crashAfterThe(int n, Predicate<String> call) {
        AtomicInteger seen = new AtomicInteger();
        h.stack.counter.crashAfterNext(c -> call.test(c) && seen.incrementAndGet() == n);
    }

    /**
     * Handles the bulk queue's messages until the job has completed and its queue is empty, as Lambda would: a
     * message that failed (a crash) is not deleted and comes back after the visibility timeout.
     */
    private BulkJobRepository.Job drain(String jobId, boolean twice) {
        for (int i = 0; i < 500; i++) {
            List<Message> batch = h.stack.plainSqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages();
            for (Message m : batch) {
                boolean ok = handle(m) && (!twice || handle(m));
                if (ok) {
                    h.stack.plainSqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                }
            }
            BulkJobRepository.Job job = jobs.find(jobId).orElseThrow();
            if (batch.isEmpty() && job.completed()) {
                return job;
            }
        }
        throw new AssertionError("job " + jobId + " did not complete");
    }

    private boolean handle(Message m) {
        try {
            bulk.handle(m.body());
            return true;
        } catch (CallCounter.Crash crash) {
            crashes++;
            return false;
        }
    }

    private List<AuditEvent> audit(Run r, String action) {
        return h.engine.audit.page(r.id(), null, 1000).events().stream().filter(e -> e.action().equals(action)).toList();
    }

    private Map<String, String> allResults(String jobId) {
        Map<String, String> out = new HashMap<>();
        String after = null;
        do {
            BulkJobRepository.ResultPage page = jobs.results(jobId, after, 100);
            page.results().forEach(r -> assertThat(out.put(r.runId(), r.outcome())).as("one result per run").isNull());
            after = page.lastRunId();
        } while (after != null);
        return out;
    }
}
